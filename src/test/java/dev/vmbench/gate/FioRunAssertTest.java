package dev.vmbench.gate;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.Metric;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import dev.vmbench.profile.Limit;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FioRunAssertTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("fast-rbd", VmSize.parse("small"), "10Gi", 2);
    private static final FioPermutation PERMUTATION = new FioPermutation("random-rw", BlockSize.parse("4k"));
    private static final Limit MIN_IOPS = new Limit("min-iops", Metric.IOPS, true, 5000, "5k", "thresholds.yaml:12");
    private static final Limit MAX_P99 = new Limit("max-clat-p99", Metric.CLAT_P99, false, 2_000_000, "2ms",
            "-Dvmbench.threshold.max-clat-p99");

    private static FioMetrics metrics(String vm, double iops, double p99Ns) {
        return new FioMetrics(vm, "rand-read", 0, "read", 1000, iops, iops * 4096, 500_000, 10_000, 400_000, 800_000,
                900_000, p99Ns, p99Ns * 2, p99Ns * 4, 510_000, 1000, 0, 5, 10);
    }

    private static FioRun run(FioMetrics... metrics) {
        Duration d = Duration.ofMillis(10);
        return new FioRun(GROUP, PERMUTATION, Map.of("vm-0", "{}", "vm-1", "{}"), List.of(metrics),
                new RunTimings(d, d, d, d, d, d, 0));
    }

    @Test
    void passesWhenEveryVmMeetsEveryLimit() {
        assertThatCode(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, 1_500_000), metrics("vm-1", 8000, 1_900_000)))
                .meets(List.of(MIN_IOPS, MAX_P99))).doesNotThrowAnyException();
    }

    @Test
    void listsEveryBreachWithMetricMeasuredLimitOriginAndVm() {
        // given: vm-0 is too slow and too late, vm-1 only too late
        FioRun run = run(metrics("vm-0", 1234, 4_500_000), metrics("vm-1", 8000, 2_100_000));

        // then
        assertThatThrownBy(() -> FioRunAssert.assertThat(run).meets(List.of(MIN_IOPS, MAX_P99)))
                .isInstanceOf(AssertionError.class)
                .hasMessage(String.join(System.lineSeparator(),
                        "fast-rbd small 10Gi x2 / random-rw 4k (2 VMs) missed 3 threshold(s):",
                        "  - iops 1234 IOPS is below the minimum 5000 IOPS (min-iops 5k from thresholds.yaml:12) on VM vm-0 job rand-read read",
                        "  - clat-p99 4.50 ms is above the maximum 2.00 ms (max-clat-p99 2ms from -Dvmbench.threshold.max-clat-p99) on VM vm-0 job rand-read read",
                        "  - clat-p99 2.10 ms is above the maximum 2.00 ms (max-clat-p99 2ms from -Dvmbench.threshold.max-clat-p99) on VM vm-1 job rand-read read"));
    }

    @Test
    void aMissingPercentileIsABreachNotAPass() {
        assertThatThrownBy(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, Double.NaN))).meets(List.of(MAX_P99)))
                .hasMessageContaining("clat-p99 not measured is above the maximum 2.00 ms");
    }

    @Test
    void unfairnessAcrossVmsIsABreachOfTheGroup() {
        Limit fair = new Limit("max-iops-cv", Metric.IOPS_CV, false, 0.2, "20%", "thresholds.yaml:4");

        assertThatThrownBy(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, 1), metrics("vm-1", 3000, 1)))
                .meets(List.of(fair)))
                .hasMessageEndingWith("  - iops-cv 50.0 % is above the maximum 20.0 % (max-iops-cv 20% from "
                        + "thresholds.yaml:4) across 2 VMs job rand-read read");
        assertThatCode(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, 1), metrics("vm-1", 8000, 1)))
                .meets(List.of(fair))).doesNotThrowAnyException();
    }

    @Test
    void aRunWithoutIoFails() {
        assertThatThrownBy(() -> FioRunAssert.assertThat(run()).meets(List.of(MIN_IOPS)))
                .isInstanceOf(AssertionError.class)
                .hasMessage("fast-rbd small 10Gi x2 / random-rw 4k (2 VMs): fio reported no I/O on any VM, so no "
                        + "threshold can pass");
    }

    @Test
    void slowProvisioningFailsLikeSlowIo() {
        // given: one VM ready in 40 s, one in 95 s; the whole group in 100 s
        Duration d = Duration.ofMillis(10);
        FioRun run = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", "{}", "vm-1", "{}"),
                List.of(metrics("vm-0", 9000, 1_000_000)), new RunTimings(d, d, d, d, d, d, 0),
                new dev.vmbench.fio.Provisioning(Map.of("vm-0", Duration.ofSeconds(40), "vm-1", Duration.ofSeconds(95)),
                        Duration.ofSeconds(100)));
        Limit vmReady = new Limit("max-vm-ready", Metric.VM_READY, false, 90e9, "90s", "thresholds.yaml:3");
        Limit groupReady = new Limit("max-group-ready", Metric.GROUP_READY, false, 120e9, "2m", "thresholds.yaml:4");

        // when / then
        assertThatThrownBy(() -> FioRunAssert.assertThat(run).meets(List.of(vmReady, groupReady)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("missed 1 threshold(s)")
                .hasMessageContaining("vm-ready 95.0 s is above the maximum 90.0 s (max-vm-ready 90s from "
                        + "thresholds.yaml:3) for VM vm-1 (create to guest ready)");
    }
}
