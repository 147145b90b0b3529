package dev.vmbench.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a storage benchmark class: registers vmbench's extension, which reads the settings once per run,
 * connects to the cluster ({@code -Dpool=<StorageClass>} with the kubeconfig) or starts the embedded one,
 * and resolves {@link dev.vmbench.cluster.VmGroup} and {@link dev.vmbench.profile.Thresholds} parameters.
 *
 * <pre>{@code
 * @VmBenchmark
 * @ParameterizedClass(name = "{0}")
 * @VmGroupSource
 * class StorageBenchmarkIT {
 *     @Parameter VmGroupSpec group;
 *
 *     @ParameterizedTest(name = "{0}")
 *     @FioMatrixSource
 *     void meetsThresholds(FioPermutation permutation, VmGroup vms, Thresholds thresholds, Baseline baseline) {
 *         FioRun run = vms.run(permutation);
 *         FioRunAssert.assertThat(run).meets(thresholds.of(group, permutation)).doesNotRegressFrom(baseline);
 *     }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(VmGroupExtension.class)
public @interface VmBenchmark {
}
