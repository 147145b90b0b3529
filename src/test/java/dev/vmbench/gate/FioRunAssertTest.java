package dev.vmbench.gate;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.Metric;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.fio.TimeSeries;
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

    /** What fio writes of a random-read job that did its I/O without an error (the numbers are in the metrics). */
    private static final String RAW = "{\"jobs\": [{\"jobname\": \"rand-read\", \"error\": 0, "
            + "\"job options\": {\"rw\": \"randread\"}}]}";

    private static FioMetrics metrics(String vm, double iops, double p99Ns) {
        return new FioMetrics(vm, "rand-read", 0, "read", 1000, iops, iops * 4096, 500_000, 10_000, 400_000, 800_000,
                900_000, p99Ns, p99Ns * 2, p99Ns * 4, 510_000, 1000, 0, 5, 10);
    }

    private static FioRun run(FioMetrics... metrics) {
        Duration d = Duration.ofMillis(10);
        return new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", RAW), List.of(metrics),
                new RunTimings(d, d, d, d, d, d, 0));
    }

    @Test
    void passesWhenEveryVmMeetsEveryLimit() {
        assertThatCode(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, 1_500_000), metrics("vm-1", 8000, 1_900_000)))
                .meets(List.of(MIN_IOPS, MAX_P99))).doesNotThrowAnyException();
    }

    @Test
    void vmsThatDidNotMeasureTogetherBreakTheTestInsteadOfBeingJudged() {
        // given: the VMs measured together for 60 % of the group's window, their starts 400 ms apart
        Duration d = Duration.ofMillis(10);
        FioRun apart = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", RAW),
                List.of(metrics("vm-0", 9000, 1_000_000), metrics("vm-1", 9000, 1_000_000)),
                new RunTimings(d, d, Duration.ofMillis(400), d, d, d, 0, 60));
        Limit strict = new Limit("min-overlap", Metric.OVERLAP, true, 0.9, "90%", "thresholds.yaml:4");

        // then: broken (no assertion failed), with the default or the file's minimum named
        assertThatThrownBy(() -> FioRunAssert.assertThat(apart).meets(List.of(MIN_IOPS)))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("fast-rbd small 10Gi x2 / random-rw 4k (2 VMs): the VMs did not measure together: every VM "
                        + "was measuring during 60.0 % of the group's measured window, below min-overlap 95 % (the "
                        + "default), and their measuring starts spread over 400 ms. This is not a concurrent "
                        + "measurement, so it is not judged and its sums are not group throughput. Fix: see "
                        + "start_spread_ms and overlap_pct in timings.csv (a guest that started late or ended early), "
                        + "then run it again");
        assertThatThrownBy(() -> FioRunAssert.assertThat(apart).meets(List.of(strict)))
                .hasMessageContaining("below min-overlap 90 % (min-overlap 90% from thresholds.yaml:4)");
        assertThatCode(() -> FioRunAssert.assertThat(apart).meets(List.of(new Limit("min-overlap", Metric.OVERLAP,
                true, 0.5, "50%", "x")))).doesNotThrowAnyException();
    }

    @Test
    void anOverlapThatWasNotMeasuredBreaksTheTestLikeALowOne() {
        Duration d = Duration.ofMillis(10);
        FioRun unmeasured = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", RAW),
                List.of(metrics("vm-0", 9000, 1_000_000), metrics("vm-1", 9000, 1_000_000)),
                new RunTimings(d, d, d, d, d, d, 0, Double.NaN));

        assertThatThrownBy(() -> FioRunAssert.assertThat(unmeasured).meets(List.of(MIN_IOPS)))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("every VM was measuring during NaN % of the group's measured window, below "
                        + "min-overlap 95 % (the default)");
    }

    @Test
    void aVmThatDidNoIoInADirectionItsJobAsksForFailsTheTestEvenWhenTheOthersPass() {
        // given: vm-1 was asked for random reads and did none; vm-0 easily meets every limit
        FioRun run = run(metrics("vm-0", 9000, 1_000_000));

        // then: vm-1 does not drop out of the gate
        assertThatThrownBy(() -> FioRunAssert.assertThat(run).meets(List.of(MIN_IOPS)))
                .isInstanceOf(AssertionError.class)
                .hasMessage(String.join(System.lineSeparator(), "fast-rbd small 10Gi x2 / random-rw 4k (2 VMs) did not "
                        + "measure what its job asks for on every VM, so no limit can be judged for them:",
                        "  - VM vm-1 completed no read I/O in job section rand-read, which asks for read",
                        "Every VM must complete I/O in every job section and direction its job asks for, without an I/O "
                        + "error. Fix: see each VM's fio JSON (attached) and 'vmbench-guest diagnose'; a storage that "
                        + "errs or stalls one direction fails this test"));
    }

    @Test
    void anIoErrorFioCountedFailsTheTest() {
        // given: fio went on past I/O errors (continue_on_error) and wrote its counters
        Duration d = Duration.ofMillis(10);
        String erred = "{\"jobs\": [{\"jobname\": \"rand-read\", \"error\": 0, \"total_err\": 2, "
                + "\"first_error\": 5, \"job options\": {\"rw\": \"randread\"}, \"read\": {\"short_ios\": 1}}]}";
        FioRun run = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", erred), List.of(metrics("vm-0", 9000,
                1_000_000), metrics("vm-1", 9000, 1_000_000)), new RunTimings(d, d, d, d, d, d, 0));

        assertThatThrownBy(() -> FioRunAssert.assertThat(run).meets(List.of(MIN_IOPS)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("  - 2 I/O error(s) (total_err, first_error 5) in job rand-read on VM vm-1"
                        + System.lineSeparator() + "Every VM must");
    }

    @Test
    void overlapIsTheShareOfTheUnionInWhichEveryVmMeasured() {
        org.assertj.core.api.Assertions.assertThat(RunTimings.overlapPct(List.of(new double[] {0, 10})))
                .isEqualTo(100);
        org.assertj.core.api.Assertions.assertThat(RunTimings.overlapPct(List.of(new double[] {0, 10},
                new double[] {1, 11}, new double[] {0.5, 10}))).isCloseTo(9 / 11.0 * 100, org.assertj.core.data.Offset
                        .offset(1e-9));
        org.assertj.core.api.Assertions.assertThat(RunTimings.overlapPct(List.of(new double[] {0, 4},
                new double[] {5, 9}))).as("one ended before the other began").isZero();
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
        assertThatThrownBy(() -> FioRunAssert.assertThat(run(metrics("vm-0", 9000, Double.NaN), metrics("vm-1", 9000,
                1_000_000))).meets(List.of(MAX_P99)))
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
    void aVmWhoseRateDriftsOverTimeMissesMaxIopsDriftAndOneWithoutLogsIsNotMeasured() {
        // given: vm-0 steady at 1000 IOPS a second; vm-1 alternating 500 and 1500 (drift 50 %); vm-2 two intervals
        Limit steady = new Limit("max-iops-drift", Metric.IOPS_DRIFT, false, 0.2, "20%", "thresholds.yaml:6");
        java.util.function.Function<double[], List<TimeSeries.Point>> points = iops -> java.util.stream.IntStream
                .range(0, iops.length).mapToObj(i -> new TimeSeries.Point(1000 + i, 0, iops[i], iops[i] * 4096, 1e6))
                .toList();
        Map<String, List<TimeSeries.Point>> vms = new java.util.LinkedHashMap<>();
        vms.put("vm-0", points.apply(new double[] {1000, 1000, 1000, 1000}));
        vms.put("vm-1", points.apply(new double[] {500, 1500, 500, 1500}));
        vms.put("vm-2", points.apply(new double[] {1000, 1000}));
        Duration d = Duration.ofMillis(10);
        FioRun run = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", RAW),
                List.of(metrics("vm-0", 9000, 1), metrics("vm-1", 9000, 1)), new RunTimings(d, d, d, d, d, d, 0),
                dev.vmbench.fio.Provisioning.NONE, dev.vmbench.fio.Samples.ONE,
                new TimeSeries(Duration.ofSeconds(1), vms));

        // then
        assertThatThrownBy(() -> FioRunAssert.assertThat(run).meets(List.of(steady))).hasMessageEndingWith(
                "missed 2 threshold(s):" + System.lineSeparator()
                + "  - iops-drift 50.0 % is above the maximum 20.0 % (max-iops-drift 20% from thresholds.yaml:6) on VM "
                + "vm-1 (coefficient of variation of its IOPS per 1 s interval, least steady phase)"
                + System.lineSeparator()
                + "  - iops-drift not measured on VM vm-2: fewer than 3 log intervals of 1 s in every phase "
                + "(max-iops-drift 20% from thresholds.yaml:6). Fix: lengthen vmbench.runtime or shorten "
                + "vmbench.logInterval");
        FioRun unlogged = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW), List.of(metrics("vm-0", 9000, 1)),
                new RunTimings(d, d, d, d, d, d, 0));
        assertThatThrownBy(() -> FioRunAssert.assertThat(unlogged).meets(List.of(steady))).hasMessageEndingWith(
                "  - iops-drift not measured: fio wrote no interval logs (max-iops-drift 20% from thresholds.yaml:6 "
                        + "needs them; vmbench.logInterval must not be 0)");
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
        FioRun run = new FioRun(GROUP, PERMUTATION, Map.of("vm-0", RAW, "vm-1", RAW),
                List.of(metrics("vm-0", 9000, 1_000_000), metrics("vm-1", 9000, 1_000_000)),
                new RunTimings(d, d, d, d, d, d, 0), new dev.vmbench.fio.Provisioning(Map.of("vm-0", Duration.ofSeconds(40), "vm-1", Duration.ofSeconds(95)),
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
