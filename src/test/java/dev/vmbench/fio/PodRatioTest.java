package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VM-to-pod ratios from known figures: a VM's share of its group against the pod, the worst VM's p99 against it. */
class PodRatioTest {

    private static final FioPermutation PERMUTATION = new FioPermutation("random-rw", BlockSize.parse("4k"));

    private static FioMetrics row(String vm, String job, String direction, double iops, double p99Ns) {
        return new FioMetrics(vm, job, 0, direction, 1000, iops, iops * 4096, 0, 0, 0, 0, 0, p99Ns, 0, 0, 0, 1000, 0,
                0, 0);
    }

    private static FioRun run(int vms, FioMetrics... rows) {
        Duration d = Duration.ZERO;
        return new FioRun(new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", vms), PERMUTATION, Map.of(),
                List.of(rows), new RunTimings(d, d, d, d, d, d, 0));
    }

    @Test
    void ratiosAreTheVmsShareOverThePodAndTheWorstVmsP99OverThePods() {
        // given: two VMs at 1000 and 3000 read IOPS (2000 each on average), p99 1 ms and 4 ms; the pod 4000 at 2 ms
        FioRun vm = run(2, row("vm-0", "rand-read", "read", 1000, 1e6), row("vm-1", "rand-read", "read", 3000, 4e6),
                row("vm-0", "rand-write", "write", 500, 1e6), row("vm-1", "rand-write", "write", 500, 1e6));
        FioRun pod = run(1, row("pod", "rand-read", "read", 4000, 2e6), row("pod", "rand-write", "write", 0, 0));

        // when
        List<PodRatio> ratios = PodRatio.of(vm, pod);

        // then
        assertThat(ratios).hasSize(2);
        PodRatio read = ratios.get(0);
        assertThat(read.job()).isEqualTo("rand-read");
        assertThat(read.vmIops()).isEqualTo(2000);
        assertThat(read.iopsRatio()).isEqualTo(0.5);
        assertThat(read.bandwidthRatio()).isEqualTo(0.5);
        assertThat(read.p99Ratio()).isEqualTo(2.0);
        assertThat(ratios.get(1).iopsRatio()).as("a pod that measured nothing divides nothing").isNaN();
        assertThat(ratios.get(1).p99Ratio()).isNaN();
    }

    @Test
    void aSectionThePodDidNotRunHasNoRatio() {
        FioRun vm = run(1, row("vm-0", "rand-read", "read", 1000, 1e6), row("vm-0", "seq-read", "read", 900, 1e6));
        FioRun pod = run(1, row("pod", "rand-read", "read", 1000, 1e6));

        assertThat(PodRatio.of(vm, pod)).extracting(PodRatio::job).containsExactly("rand-read");
    }
}
