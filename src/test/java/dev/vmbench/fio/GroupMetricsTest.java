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

    @Test
    void mergedPercentilesOfTwoDifferentVmsAreFiosOwnPercentilesOfTheirUnion() throws IOException {
        // given: one real fio run with two latency modes (4 KiB and 256 KiB reads); its I/Os split between two VMs by
        // latency, so vm-0 holds only the fast ones and vm-1 only the slow ones: two very different distributions
        // whose union fio measured, and whose p50/p99/p99.9 fio computed itself
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode whole = json.readTree(Path.of("src/test/resources/fio/bimodal-bins.json")
                .toFile());
        com.fasterxml.jackson.databind.JsonNode clat = whole.path("jobs").get(0).path("read").path("clat_ns");
        long split = 150_000;
        String fast = withBins(json, whole, bin -> Long.parseLong(bin) < split);
        String slow = withBins(json, whole, bin -> Long.parseLong(bin) >= split);
        Duration d = Duration.ZERO;
        FioRun run = new FioRun(new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 2),
                new FioPermutation("random-rw", BlockSize.parse("4k")), Map.of("vm-0", fast, "vm-1", slow), List.of(),
                new RunTimings(d, d, d, d, d, d, 0));

        // when
        LatencyHistogram merged = LatencyHistogram.merged(run).get("bimodal read");

        // then: neither VM alone has the union's percentiles, the merge has fio's
        assertThat(LatencyHistogram.merged(new FioRun(run.group(), run.permutation(), Map.of("vm-0", fast), List.of(),
                run.timings())).get("bimodal read").percentile(99)).isLessThan(split);
        assertThat(merged.count()).isEqualTo(clat.path("N").asLong());
        assertThat(merged.percentile(50)).isEqualTo(clat.path("percentile").path("50.000000").asDouble());
        assertThat(merged.percentile(99)).isEqualTo(clat.path("percentile").path("99.000000").asDouble());
        assertThat(merged.percentile(99.9)).isEqualTo(clat.path("percentile").path("99.900000").asDouble());
    }

    /** The fio output with only the read latency bins {@code keep} accepts. */
    private static String withBins(com.fasterxml.jackson.databind.ObjectMapper json,
            com.fasterxml.jackson.databind.JsonNode whole, java.util.function.Predicate<String> keep) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode copy = whole.deepCopy();
        com.fasterxml.jackson.databind.node.ObjectNode bins = (com.fasterxml.jackson.databind.node.ObjectNode) copy
                .path("jobs").get(0).path("read").path("clat_ns").path("bins");
        List<String> kept = new ArrayList<>();
        bins.fieldNames().forEachRemaining(bin -> {
            if (keep.test(bin)) {
                kept.add(bin);
            }
        });
        bins.retain(kept);
        return json.writeValueAsString(copy);
    }
}
