package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.PodRatio;
import dev.vmbench.junit.FioMatrixSource;
import dev.vmbench.junit.PodBaseline;
import dev.vmbench.junit.VmBenchmark;
import dev.vmbench.junit.VmGroupSource;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import java.util.List;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * What virtualization costs: every permutation on the group's VMs, then the same job in a plain pod on a PVC of the
 * same StorageClass (no QEMU), and the VM-to-pod ratio of IOPS, bandwidth and p99 per job section. A measurement,
 * not a gate; run it by name with groups of one VM for the clean comparison:
 * {@code mvn verify -DskipUnitTests -Dit.test=PodBaselineIT -Dvmbench.concurrency=1 [-Dpool=<StorageClass>]}.
 */
@VmBenchmark
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@VmGroupSource
class PodBaselineIT {

    @Parameter
    VmGroupSpec group;

    @ParameterizedTest(name = "{0}")
    @FioMatrixSource
    void vmAgainstPod(FioPermutation permutation, VmGroup vms, PodBaseline pod) {
        FioRun vm = vms.run(permutation);
        List<PodRatio> ratios = pod.compare(vm);
        assertThat(ratios).as("job sections measured in both the VM and the pod").isNotEmpty();
    }
}
