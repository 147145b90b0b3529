package dev.vmbench.junit;

import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.ParameterDeclarations;

/**
 * One group of one VM per StorageClass with a capability check selected: the first VM size and PVC size of the
 * settings.
 */
final class CapabilityGroupArgumentsProvider implements ArgumentsProvider {

    @Override
    public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
        return Settings.capabilityGroups(BenchStore.settings(context).config()).stream().map(Arguments::of);
    }
}
