package dev.vmbench.junit;

import dev.vmbench.matrix.VmGroupSpec;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.ParameterDeclarations;

/** One group of {@code vmbench.density.maxVms} per StorageClass × VM size × PVC size of the settings. */
final class DensityGroupArgumentsProvider implements ArgumentsProvider {

    @Override
    public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
        Settings settings = BenchStore.settings(context);
        int maxVms = settings.config().densityMaxVms();
        return settings.config().pools().stream().flatMap(pool -> settings.config().vmSizes().stream()
                .flatMap(size -> settings.config().pvcSizes().stream()
                        .map(pvc -> Arguments.of(new VmGroupSpec(pool, size, pvc, maxVms)))));
    }
}
