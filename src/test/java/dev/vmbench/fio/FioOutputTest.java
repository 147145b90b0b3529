package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fio JSON parsed into metrics: real fio 3.33 runs made here, and published outputs of fio 2.2.10, 3.1 and 3.39
 * (src/test/resources/fio/NOTICE.md says where each came from).
 */
class FioOutputTest {

    private static String fixture(String name) throws IOException {
        return Files.readString(Path.of("src/test/resources/fio", name));
    }

    @Test
    void randrwMixGivesOneRowPerDirectionWithPercentiles() throws IOException {
        // when
        List<FioMetrics> rows = FioOutput.parse("vm-0", fixture("randrw-70-30.json")).metrics();

        // then
        assertThat(rows).extracting(FioMetrics::where).containsExactly("vm-0 mixed read", "vm-0 mixed write");
        FioMetrics read = rows.get(0);
        assertThat(read.ios()).isEqualTo(59809);
        assertThat(read.iops()).isCloseTo(59749.250749, within(1e-6));
        assertThat(read.bandwidthBytes()).isEqualTo(244732931);
        assertThat(read.clatMeanNs()).isCloseTo(79074.768797, within(1e-6));
        assertThat(read.clatP50Ns()).isEqualTo(66048);
        assertThat(read.clatP95Ns()).isEqualTo(107008);
        assertThat(read.clatP99Ns()).isEqualTo(150528);
        assertThat(read.clatP999Ns()).isEqualTo(242688);
        assertThat(read.runtimeMs()).isEqualTo(1001);
        assertThat(rows.get(1).clatP999Ns()).isEqualTo(1036288);
    }

    @Test
    void stonewalledSectionsStaySeparateAndSkipDirectionsWithoutIo() throws IOException {
        // when
        List<FioMetrics> rows = FioOutput.parse("vm-1", fixture("stonewall-two-sections.json")).metrics();

        // then: the read section reports no writes and vice versa
        assertThat(rows).extracting(FioMetrics::where)
                .containsExactly("vm-1 rand-read read", "vm-1 rand-write write");
        assertThat(rows.get(0).iops()).isCloseTo(107712.287712, within(1e-6));
        assertThat(rows.get(1).clatP99Ns()).isEqualTo(346112);
    }

    @Test
    void numjobsWithGroupReportingIsOneJob() throws IOException {
        // when
        List<FioMetrics> rows = FioOutput.parse("vm-0", fixture("numjobs-group-reporting.json")).metrics();

        // then
        assertThat(rows).extracting(FioMetrics::job).containsExactly("db-pages", "db-pages");
        assertThat(rows.get(0).ios()).isEqualTo(41278);
        assertThat(rows.get(1).iops()).isCloseTo(17695.304695, within(1e-6));
    }

    @Test
    void jsonPlusWithLatencyBinsParsesLikeJson() throws IOException {
        // when: --output-format=json+ adds clat_ns.bins to every direction
        List<FioMetrics> rows = FioOutput.parse("vm-0", fixture("json-plus-bins.json")).metrics();

        // then
        assertThat(rows).singleElement().satisfies(m -> {
            assertThat(m.where()).isEqualTo("vm-0 randread-jplus read");
            assertThat(m.ios()).isEqualTo(48095);
            assertThat(m.iops()).isCloseTo(48046.953047, within(1e-6));
            assertThat(m.clatP90Ns()).isEqualTo(85504);
            assertThat(m.clatP99Ns()).isEqualTo(248832);
            assertThat(m.cpuUserPercent()).isEqualTo(8.3);
            assertThat(m.cpuSystemPercent()).isEqualTo(63.8);
        });
    }

    @Test
    void notesBeforeTheJsonAreSkipped() throws IOException {
        // given
        String raw = fixture("note-before-json.txt");
        assertThat(raw).startsWith("note: both iodepth");

        // when
        FioOutput output = FioOutput.parse("vm-0", raw);

        // then
        assertThat(output.fioVersion()).isEqualTo("fio-3.33");
        assertThat(output.metrics()).extracting(FioMetrics::where).containsExactly("vm-0 sync read");
    }

    @Test
    void emptyOutputIsABrokenRunNamingTheVm() {
        assertThatThrownBy(() -> FioOutput.parse("vm-3", "  \n"))
                .isInstanceOf(FioOutputException.class)
                .hasMessage("fio on vm-3 produced no output: expected a JSON object with \"jobs\"; check the job "
                        + "with 'vmbench-guest diagnose'");
    }

    @Test
    void outputWithoutJsonQuotesItsFirstLine() {
        assertThatThrownBy(() -> FioOutput.parse("vm-3", "fio: failed parsing bs=4q\nfio: job global dropped\n"))
                .isInstanceOf(FioOutputException.class)
                .hasMessage("fio output on vm-3 holds no JSON object; it begins [fio: failed parsing bs=4q]; run fio "
                        + "with --output-format=json");
    }

    @Test
    void truncatedJsonNamesTheLine() {
        assertThatThrownBy(() -> FioOutput.parse("vm-3", "{\n  \"fio version\" : \"fio-3.33\",\n  \"jobs\" : [\n"))
                .isInstanceOf(FioOutputException.class)
                .hasMessageStartingWith("fio output on vm-3 is not valid JSON at line 4: ")
                .hasMessageEndingWith("; the output is attached as it was received");
    }

    @Test
    void jsonWithoutJobsIsNotAResult() {
        assertThatThrownBy(() -> FioOutput.parse("vm-3", "{\"fio version\": \"fio-3.33\", \"jobs\": []}"))
                .isInstanceOf(FioOutputException.class)
                .hasMessage("fio output on vm-3 has no \"jobs\" array: it is not the result of a fio run");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            fio-2.2.10-published-seqwrite.json | fio-2.2.10 | test write | 9374944 | 15624.70    | 63998976 | 8151190 | 8640000 | 8182260
            fio-3.1-published-write.json       | fio-3.1    | test write | 262144  | 438367.892977 | 1795554304 | 2076.404373 | 6176 | 2117.878979
            randrw-70-30.json                  | fio-3.33   | mixed read | 59809   | 59749.250749 | 244732931 | 79074.768797 | 150528 | NaN
            fio-3.39-published-randwrite.json  | fio-3.39   | CrystalDiskMark195681fd01a.tmp write | 16384 | 19621.556886 | 20092474 | 406584.472656 | 3489792 | 406984.619141
            """)
    void everyFioVersionFrom2To3ReadsInTheSameUnits(String file, String version, String where, long ios, double iops,
            double bandwidth, double clatMeanNs, double p99Ns, double latMeanNs) throws IOException {
        // when
        FioOutput output = FioOutput.parse("vm", fixture(file));

        // then: fio 2 writes µs and KiB/s, fio 3 ns and bytes/s; both come out in ns and bytes/s
        assertThat(output.fioVersion()).isEqualTo(version);
        FioMetrics m = output.metrics().get(0);
        assertThat(m.where()).isEqualTo("vm " + where);
        assertThat(m.ios()).isEqualTo(ios);
        assertThat(m.iops()).isCloseTo(iops, within(1e-6));
        assertThat(m.bandwidthBytes()).isCloseTo(bandwidth, within(1.0));
        assertThat(m.clatMeanNs()).isCloseTo(clatMeanNs, within(1e-3));
        assertThat(m.clatP99Ns()).isEqualTo(p99Ns);
        if (!Double.isNaN(latMeanNs)) {
            assertThat(m.latMeanNs()).isCloseTo(latMeanNs, within(1e-3));
        }
    }

    @Test
    void fdatasyncLatencyIsASyncRowOfItsJob() throws IOException {
        // when: a redo-log job with fdatasync=1 (fio counts the syncs in sync.lat_ns.N; its total_ios stays 0)
        List<FioMetrics> rows = FioOutput.parse("vm-0", fixture("fdatasync-redo-log.json")).metrics();

        // then
        assertThat(rows).extracting(FioMetrics::where).containsExactly("vm-0 redo-log write", "vm-0 redo-log sync");
        FioMetrics sync = rows.get(1);
        assertThat(sync.ios()).isEqualTo(5775);
        assertThat(sync.clatP99Ns()).isEqualTo(244736);
        assertThat(sync.clatMeanNs()).isCloseTo(152262.234113, within(1e-6));
        assertThat(Metric.SYNC_P99.appliesTo(sync)).isTrue();
        assertThat(Metric.CLAT_P99.appliesTo(sync)).isFalse();
        assertThat(Metric.SYNC_P99.appliesTo(rows.get(0))).isFalse();
    }

    @Test
    void stonewalledSectionsAreSeparatePhases() throws IOException {
        assertThat(FioOutput.parse("vm-1", fixture("stonewall-two-sections.json")).metrics())
                .extracting(FioMetrics::phase).containsExactly(0, 1);
        assertThat(FioOutput.parse("vm-0", fixture("numjobs-group-reporting.json")).metrics())
                .extracting(FioMetrics::phase).containsOnly(0);
    }

    @Test
    void outputWhoseFieldsAreUnknownIsRefusedNamingTheFioVersion() {
        String future = "{\"fio version\": \"fio-9.0\", \"jobs\": [{\"jobname\": \"j\", \"groupid\": 0, "
                + "\"read\": {\"total_ios\": 10, \"iops\": 5.0, \"completion_latency\": {\"mean\": 1}}}]}";

        assertThatThrownBy(() -> FioOutput.parse("vm-3", future).metrics())
                .isInstanceOf(FioOutputException.class)
                .hasMessage("fio output on vm-3 (fio-9.0) has no [clat_ns] for job j read: vmbench reads the JSON of "
                        + "fio 2.x and 3.x, and this version writes fields it does not know, so nothing of it is read "
                        + "as zero. Fix: run a fio 2.x or 3.x in the guests (the guest's fio package), or report the "
                        + "fio version.");
    }
}
