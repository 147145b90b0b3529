package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Group aggregates over real fio output of two "VMs" (two real runs of different jobs). */
class GroupMetricsTest {

    private static List<FioMetrics> parse(String vm, String fixture) throws IOException {
        return FioOutput.parse(vm, Files.readString(Path.of("src/test/resources/fio", fixture))).metrics();
    }

    @Test
    void throughputAddsUpOverVmsPerSectionLatencyIsTheWorstAndFairnessIsTheSpread() throws IOException {
        // given: the same stonewalled job on two VMs (here: two real runs), plus an unrelated section
        List<FioMetrics> metrics = new ArrayList<>(parse("vm-0", "stonewall-two-sections.json"));
        metrics.addAll(parse("vm-1", "stonewall-two-sections.json").stream()
                .map(m -> new FioMetrics(m.vm(), m.job(), m.phase(), m.direction(), m.ios(), m.iops() / 3, m.bandwidthBytes() / 3,
                        m.clatMeanNs(), m.clatStddevNs(), m.clatP50Ns(), m.clatP90Ns(), m.clatP95Ns(),
                        m.clatP99Ns() * 2, m.clatP999Ns(), m.clatMaxNs(), m.latMeanNs(), m.runtimeMs(), m.errors(),
                        m.cpuUserPercent(), m.cpuSystemPercent())).toList());
        Duration d = Duration.ZERO;
        FioRun run = new FioRun(new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 2),
                new FioPermutation("random-rw", BlockSize.parse("4k")), Map.of(), metrics,
                new RunTimings(d, d, d, d, d, d, 0));

        // when
        List<GroupMetrics> groups = GroupMetrics.of(run);

        // then: one aggregate per section and direction, never summed across the stonewalled sections
        assertThat(groups).extracting(GroupMetrics::key).containsExactly("rand-read read", "rand-write write");
        GroupMetrics read = groups.get(0);
        assertThat(read.vms()).isEqualTo(2);
        assertThat(read.iops()).isCloseTo(107712.287712 * 4 / 3, within(1e-3));
        assertThat(read.worstClatP99Ns()).isEqualTo(272384 * 2);
        assertThat(read.medianClatP99Ns()).isEqualTo(272384 * 2, within(1e-9));
        // IOPS of 3x and x: mean 2x, deviation x, so the spread is 50 %
        assertThat(read.iopsCv()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void theGroupsPercentilesComeFromTheVmsMergedHistograms() throws IOException {
        // given: two VMs' json+ output (the same real run twice) with their latency bins
        String raw = Files.readString(Path.of("src/test/resources/fio/json-plus-bins.json"));
        Duration d = Duration.ZERO;
        FioRun run = new FioRun(new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 2),
                new FioPermutation("random-rw", BlockSize.parse("4k")), Map.of("vm-0", raw, "vm-1", raw),
                new ArrayList<>(parse("vm-0", "json-plus-bins.json")) {
                    {
                        addAll(parse("vm-1", "json-plus-bins.json"));
                    }
                }, new RunTimings(d, d, d, d, d, d, 0));

        // when
        LatencyHistogram merged = LatencyHistogram.merged(run).get("randread-jplus read");
        GroupMetrics group = GroupMetrics.of(run).get(0);

        // then: twice the I/Os, and the same percentiles fio computed from one VM's bins
        assertThat(merged.count()).isEqualTo(2 * 48095);
        assertThat(group.mergedClatP99Ns()).isEqualTo(248832);
        assertThat(group.mergedClatP50Ns()).isEqualTo(parse("vm-0", "json-plus-bins.json").get(0).clatP50Ns());
        assertThat(new LatencyHistogram(Map.of()).percentile(99)).isNaN();
    }
}
