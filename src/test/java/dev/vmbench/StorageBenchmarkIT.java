package dev.vmbench;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.fio.FioRun;
import dev.vmbench.gate.Baseline;
import dev.vmbench.gate.FioRunAssert;
import dev.vmbench.junit.FioMatrixSource;
import dev.vmbench.junit.VmBenchmark;
import dev.vmbench.junit.VmGroupSource;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.Thresholds;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The storage gate: every VM group of the matrix runs every fio permutation and must meet its thresholds.
 * {@code mvn verify -Dpool=<StorageClass>} runs it on the kubeconfig's cluster; {@code mvn verify} alone on
 * the embedded cluster.
 */
@VmBenchmark
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@VmGroupSource
class StorageBenchmarkIT {

    @Parameter
    VmGroupSpec group;

    @ParameterizedTest(name = "{0}")
    @FioMatrixSource
    void meetsThresholds(FioPermutation permutation, VmGroup vms, Thresholds thresholds, Baseline baseline) {
        FioRun run = vms.run(permutation);
        FioRunAssert.assertThat(run).meets(thresholds.of(group, permutation))
                .doesNotRegressFrom(baseline);
    }
}
