package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** fio JSON from real fio 3.33 runs (src/test/resources/fio/) parsed into metrics. */
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
}
