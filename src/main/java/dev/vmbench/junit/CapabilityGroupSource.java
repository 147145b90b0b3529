package dev.vmbench.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Supplies a {@code @ParameterizedClass} with one group of one VM per StorageClass of the settings (the first VM
 * size and PVC size), on which {@link StorageCapabilities} checks snapshot, restore, clone, expansion and migration.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ArgumentsSource(CapabilityGroupArgumentsProvider.class)
public @interface CapabilityGroupSource {
}
