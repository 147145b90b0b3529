package dev.vmbench.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Supplies a {@code @ParameterizedClass} with one {@link dev.vmbench.matrix.VmGroupSpec} per VM group of the
 * run's matrix: StorageClass × VM size × PVC size × concurrency, from the settings
 * ({@code pool}, {@code vmbench.vmSizes}, {@code vmbench.pvcSizes}, {@code vmbench.concurrency}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ArgumentsSource(VmGroupArgumentsProvider.class)
public @interface VmGroupSource {
}
