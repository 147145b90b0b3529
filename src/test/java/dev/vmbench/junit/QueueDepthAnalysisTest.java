package dev.vmbench.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioOutput;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A queue-depth step's figures and the sweep's knee, from real fio output and known steps. */
class QueueDepthAnalysisTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 1);

    @Test
    void aMixedJobsStepIsTheWholePhaseItsIopsAndItsBandwidthBothDirectionsAdded() throws IOException {
        // given: a real 70/30 random read/write run: one phase, reads and writes together
        String raw = Files.readString(Path.of("src/test/resources/fio/randrw-70-30.json"));
        List<FioMetrics> metrics = FioOutput.parse("vm-0", raw).metrics();
        Duration d = Duration.ZERO;
        FioRun run = new FioRun(GROUP, new FioPermutation("mixed-70-30", BlockSize.parse("4k")), Map.of("vm-0", raw),
                metrics, new RunTimings(d, d, d, d, d, d, 0));
        double read = metrics.stream().filter(m -> m.direction().equals("read")).mapToDouble(FioMetrics::bandwidthBytes)
                .sum();
        double write = metrics.stream().filter(m -> m.direction().equals("write"))
                .mapToDouble(FioMetrics::bandwidthBytes).sum();

        // when
        QueueDepthSweep.Step step = QueueDepthSweep.step(8, run);

        // then: what the phase moved, not its busiest direction alone
        assertThat(read).isGreaterThan(write).isGreaterThan(0);
        assertThat(step.bandwidthBytes()).isCloseTo(read + write, within(1e-6));
        assertThat(step.iops()).isCloseTo(metrics.stream().mapToDouble(FioMetrics::iops).sum(), within(1e-6));
    }

    @Test
    void theKneeIsTheShallowestDepthNoDeeperOneBeatsByTenPercent() {
        // given: IOPS grow until depth 16, then a noisy 32 (+5 %) and 64 (+8 %); p99 passes 5 ms at depth 32
        List<QueueDepthSweep.Step> steps = List.of(step(64, 10_800, 9.0), step(1, 2_000, 0.5), step(4, 6_000, 1.0),
                step(16, 10_000, 3.0), step(32, 10_500, 6.0), step(8, 8_500, 2.0));

        // when
        QueueDepthSweep.Result result = QueueDepthSweep.analyse(GROUP, steps, Duration.ofMillis(5));

        // then
        assertThat(result.steps()).extracting(QueueDepthSweep.Step::iodepth).containsExactly(1, 4, 8, 16, 32, 64);
        assertThat(result.knee()).get().extracting(QueueDepthSweep.Step::iodepth).isEqualTo(16);
        assertThat(result.best()).get().extracting(QueueDepthSweep.Step::iodepth).isEqualTo(16);
    }

    @Test
    void noKneeWhileTheDeepestStepStillGrows() {
        QueueDepthSweep.Result result = QueueDepthSweep.analyse(GROUP, List.of(step(1, 1_000, 1), step(2, 1_900, 1),
                step(4, 3_500, 1)), Duration.ofMillis(5));

        assertThat(result.knee()).isEmpty();
        assertThat(result.best()).get().extracting(QueueDepthSweep.Step::iodepth).isEqualTo(4);
    }

    private static QueueDepthSweep.Step step(int depth, double iops, double p99Ms) {
        return new QueueDepthSweep.Step(depth, iops, iops * 4096, p99Ms * 1e6, Double.NaN);
    }
}
