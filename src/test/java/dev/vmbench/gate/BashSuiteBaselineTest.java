package dev.vmbench.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioOutput;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import dev.vmbench.profile.FioJobs;
import dev.vmbench.profile.ProfileLibrary;
import dev.vmbench.template.Templates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bash suite's results as a baseline: a results folder laid out as it writes one, filled with real fio json+
 * output of the bash suite's random-rw job (two VMs), and the CSV its collect step would make of it; the first vmbench
 * run is compared key by key with them.
 */
class BashSuiteBaselineTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("ocs-storagecluster-ceph-rbd", VmSize.parse("small"),
            "150Gi", 2);
    private static final FioPermutation PERMUTATION = new FioPermutation("random-rw", BlockSize.parse("4k"));

    @TempDir
    static Path dir;

    static Path results;
    static List<FioOutput> outputs = new ArrayList<>();

    @BeforeAll
    static void aBashSuiteRunOfTwoVms() throws Exception {
        // the bash suite's random-rw job, small enough to run here, run by real fio once per "VM"
        FioJobs jobs = new FioJobs(ProfileLibrary.load(Path.of("test-profiles/profiles")),
                Templates.in(Path.of("templates")), Duration.ofSeconds(1), Duration.ZERO, 8L << 20,
                Duration.ofSeconds(30), 4, 2, 0);
        String job = jobs.render(PERMUTATION).replace("ioengine=libaio", "ioengine=psync").replace("direct=1", "direct=0");
        results = dir.resolve("results");
        Path leaf = Files.createDirectories(results.resolve("rep3/small/150Gi/2/random-rw/4k"));
        for (String vm : List.of("perf-vm-1", "perf-vm-2")) {
            Path work = Files.createDirectories(dir.resolve("work-" + vm));
            Files.writeString(work.resolve("job.fio"), job);
            Process fio = new ProcessBuilder("fio", "--output-format=json+", "--output=" + leaf.resolve(vm + "-fio.json"),
                    "job.fio").directory(work.toFile()).redirectErrorStream(true).start();
            String said = new String(fio.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(fio.waitFor()).as(said).isZero();
            outputs.add(FioOutput.parse(vm, Files.readString(leaf.resolve(vm + "-fio.json"))));
        }
    }

    /** What vmbench measured for the same permutation, with each VM's IOPS scaled by {@code factor}. */
    private static FioRun vmbenchRun(double factor) {
        List<FioMetrics> metrics = new ArrayList<>();
        for (FioOutput output : outputs) {
            for (FioMetrics m : output.metrics()) {
                metrics.add(new FioMetrics(m.vm(), m.job(), m.phase(), m.direction(), m.ios(), m.iops() * factor,
                        m.bandwidthBytes() * factor, m.clatMeanNs(), m.clatStddevNs(), m.clatP50Ns(), m.clatP90Ns(),
                        m.clatP95Ns(), m.clatP99Ns(), m.clatP999Ns(), m.clatMaxNs(), m.latMeanNs(), m.runtimeMs(),
                        m.errors(), m.cpuUserPercent(), m.cpuSystemPercent()));
            }
        }
        Duration d = Duration.ofMillis(1);
        return new FioRun(GROUP, PERMUTATION, Map.of(), metrics, new RunTimings(d, d, d, d, d, d, 0));
    }

    @Test
    void aResultsFolderIsComparedKeyByKeyWithThePoolAliasMapped() {
        Baseline baseline = Baseline.load(results, 0.10, 0.20, Map.of("rep3", "ocs-storagecluster-ceph-rbd"));

        // then: the same numbers compare equal, a halved IOPS is a regression of both sections
        List<String[]> rows = baseline.compare(List.of(vmbenchRun(1)));
        assertThat(rows).extracting(r -> r[1]).containsExactlyInAnyOrder("rand-read read", "rand-write write");
        assertThat(rows).allSatisfy(r -> assertThat(r[2]).endsWith("(+0.0 %)"));
        assertThat(baseline.regressions(vmbenchRun(1))).isEmpty();
        assertThat(baseline.regressions(vmbenchRun(0.5))).hasSize(2)
                .allMatch(r -> r.matches("rand-(read read|write write) IOPS \\d+ vs \\d+ \\(-50\\.0 %, allowed -10 %\\)"));
        assertThat(baseline.toString()).isEqualTo("Baseline[" + results + " (bash suite)]");
    }

    @Test
    void withoutTheAliasThePoolsDoNotMeet() {
        Baseline baseline = Baseline.load(results, 0.10, 0.20, Map.of());

        assertThat(baseline.compare(List.of(vmbenchRun(1)))).isEmpty();
    }

    @Test
    void itsResultsCsvWorksTheSame() throws IOException {
        // the CSV its collect step writes: a row per VM and job, latencies in ms, bandwidth in KiB/s; latencies with
        // four decimals, so that the check is of the CSV's reading and not of rounding a local disk's microseconds
        // (a p99 of 0.0149 ms written as 0.01 is itself a 49 % "rise")
        List<String> csv = new ArrayList<>(List.of("\"storage_pool\",\"vm_size\",\"pvc_size\",\"concurrency\","
                + "\"fio_profile\",\"block_size\",\"job_name\",\"read_iops\",\"read_bw_kib\",\"read_lat_avg_ms\","
                + "\"read_lat_p99_ms\",\"write_iops\",\"write_bw_kib\",\"write_lat_avg_ms\",\"write_lat_p99_ms\""));
        for (FioOutput output : outputs) {
            for (com.fasterxml.jackson.databind.JsonNode job : output.json().path("jobs")) {
                csv.add(String.format(Locale.ROOT, "\"rep3\",\"small\",\"150Gi\",\"2\",\"random-rw\",\"4k\",\"%s\","
                        + "%d,%d,%.4f,%.4f,%d,%d,%.4f,%.4f", job.path("jobname").asText(),
                        (long) job.at("/read/iops").asDouble(), job.at("/read/bw").asLong(),
                        job.at("/read/lat_ns/mean").asDouble() / 1e6,
                        job.at("/read/clat_ns/percentile/99.000000").asDouble() / 1e6,
                        (long) job.at("/write/iops").asDouble(), job.at("/write/bw").asLong(),
                        job.at("/write/lat_ns/mean").asDouble() / 1e6,
                        job.at("/write/clat_ns/percentile/99.000000").asDouble() / 1e6));
            }
        }
        Path file = Files.write(dir.resolve("results-perf-20260228-164717.csv"), csv);

        Baseline baseline = Baseline.load(file, 0.10, 0.20, Map.of("rep3", "ocs-storagecluster-ceph-rbd"));

        assertThat(baseline.regressions(vmbenchRun(1))).isEmpty();
        assertThat(baseline.regressions(vmbenchRun(0.5))).hasSize(2);
    }

    @Test
    void aBaselineWithoutItsPoolAliasesIsRefusedNamingTheAliasesItHolds() {
        Baseline baseline = Baseline.load(results, 0.10, 0.20, Map.of());
        String test = GROUP + " / " + PERMUTATION;

        assertThatThrownBy(() -> baseline.notCompared(List.of(test))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Baseline [" + results + " (bash suite)] shares no test with this run, so nothing would be "
                        + "compared and no regression could be found: it holds pool(s) [rep3] and 1 test(s) [rep3 small "
                        + "150Gi x2 / random-rw 4k], this run has pool(s) [ocs-storagecluster-ceph-rbd] and tests [" + test
                        + "]. Fix: map the bash suite's pool aliases to StorageClasses with -Dvmbench.baselinePools="
                        + "rep3=<StorageClass>, or run the matrix the baseline measured (the same pools, VM sizes, PVC "
                        + "sizes, concurrency, profiles and block sizes), or leave out -Dvmbench.baseline.");
        assertThat(Baseline.load(results, 0.10, 0.20, Map.of("rep3", "ocs-storagecluster-ceph-rbd"))
                .notCompared(List.of(test, GROUP + " / random-rw 64k"))).containsExactly(GROUP + " / random-rw 64k");
    }

    @Test
    void aCsvOfAnotherShapeIsRefusedWithWhatItShouldBe() throws IOException {
        Path file = Files.writeString(dir.resolve("other.csv"), "pool,iops\nrep3,100\n");

        assertThatThrownBy(() -> Baseline.load(file, 0.1, 0.2, Map.of())).hasMessageStartingWith("Baseline [" + file
                + "] does not start with the bash suite's CSV header (\"storage_pool\",").hasMessageEndingWith(
                        "Fix: use its reports/results-<RUN_ID>.csv, or a vmbench run's folder.");
    }
}
