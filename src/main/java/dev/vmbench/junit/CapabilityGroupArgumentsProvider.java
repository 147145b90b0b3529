package dev.vmbench.junit;

import dev.vmbench.matrix.VmGroupSpec;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.ParameterDeclarations;

/** One group of one VM per StorageClass: the first VM size and PVC size of the settings. */
final class CapabilityGroupArgumentsProvider implements ArgumentsProvider {

    @Override
    public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
        Settings settings = BenchStore.settings(context);
        return settings.config().pools().stream().map(pool -> Arguments.of(new VmGroupSpec(pool,
                settings.config().vmSizes().get(0), settings.config().pvcSizes().get(0), 1)));
    }
}
