package dev.vmbench.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Supplies a {@code @ParameterizedTest} with one {@link dev.vmbench.matrix.FioPermutation} per fio profile ×
 * block size of the settings ({@code vmbench.profiles}, {@code vmbench.blockSizes}); a profile with fixed
 * block sizes appears once, as {@code native}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@ArgumentsSource(FioMatrixArgumentsProvider.class)
public @interface FioMatrixSource {
}
