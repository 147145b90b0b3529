package dev.vmbench.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Supplies a {@code @ParameterizedClass} with one growing group per StorageClass × VM size × PVC size, of up to
 * {@code vmbench.density.maxVms} VMs: it is provisioned with one VM, and a {@link DensitySearch} adds the rest as its
 * steps need them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ArgumentsSource(DensityGroupArgumentsProvider.class)
public @interface DensityGroupSource {
}
