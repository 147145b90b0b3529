package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * {@link VmDensityIT} on the embedded cluster: one group grown step by step, each step a test, the capacity in
 * {@code density.json}, {@code density.csv} and the run summary.
 */
class DensitySearchTest {

    @TempDir
    Path dir;

    @Test
    void theGroupGrowsStepByStepKeepingItsVmsAndTheCapacityIsWritten() throws IOException {
        // when: up to 4 VMs within a generous SLA; 3 s of fio, because a window includes fio's own start-up and
        // tear-down, which four fio processes on two cores spread by ~60 ms: 6 % of a 1 s run, below min-overlap
        SuiteRun run = SuiteRun.of(VmDensityIT.class, dir, Map.of("vmbench.density.maxVms", "4",
                "vmbench.density.p99Sla", "1s", "vmbench.runtime", "3s"));

        // then: steps of 1, 2 and 4 VMs, each a passed test named by its group of that size
        assertThat(run.tests().values()).hasSize(3).allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        assertThat(run.testResults()).extracting(t -> t.path("name").asText()).containsExactlyInAnyOrder(
                "embedded-local small 1Gi x1 · density-rated native", "embedded-local small 1Gi x2 · density-rated native",
                "embedded-local small 1Gi x4 · density-rated native");
        JsonNode density = SuiteRun.json(Files.readString(run.runDir().resolve("density.json")));
        assertThat(density.path("capacityVms").asInt()).isEqualTo(4);
        JsonNode search = density.path("searches").get(0);
        assertThat(search.path("finished").asBoolean()).isTrue();
        assertThat(search.path("steps").findValuesAsText("vms")).containsExactly("1", "2", "4");
        assertThat(search.path("sentence").asText()).matches("embedded-local holds 4 VMs at \\d+ IOPS each within "
                + "1000 ms p99 \\(the most tried: raise vmbench.density.maxVms to look further\\)");
        assertThat(Files.readAllLines(run.runDir().resolve("density.csv"))).hasSize(4);
        // the group grew (provisioned 1, then 1 and 2 more) and kept its first VM: the same VM ran every step
        assertThat(Files.readAllLines(run.runDir().resolve("provisioning.log"))).hasSize(3);
        List<String> firstVm;
        try (Stream<Path> files = Files.walk(run.runDir())) {
            firstVm = files.map(Path::toString).filter(f -> f.matches(".*/density-rated-native/vmb-.*-0\\.json"))
                    .map(f -> f.substring(f.lastIndexOf('/') + 1)).distinct().toList();
        }
        assertThat(firstVm).singleElement();
        // the last step carries the chart and the sentence; the summary says it too
        JsonNode last = run.testResults().stream().filter(t -> t.path("name").asText().contains("x4")).findFirst()
                .orElseThrow();
        assertThat(last.path("descriptionHtml").asText()).contains("embedded-local holds 4 VMs", "<svg",
                "stroke-dasharray", "<th>p99.9</th>");
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("density").get(0).asText()).startsWith("embedded-local holds 4 VMs");
        assertThat(run.runDir().resolve("summary.html")).content().contains("embedded-local holds 4 VMs");
    }

    @Test
    void aStepBeyondTheSlaFailsAndTheSearchStopsWhereNothingIsLeftBetween() throws IOException {
        SuiteRun run = SuiteRun.of(VmDensityIT.class, dir, Map.of("vmbench.density.maxVms", "4",
                "vmbench.density.p99Sla", "1us"));

        assertThat(run.tests().values()).singleElement().satisfies(r -> {
            assertThat(r.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(r.getThrowable().orElseThrow()).isInstanceOf(AssertionError.class).hasMessageStartingWith(
                    "1 VMs exceed the SLA: clat-p99 ").hasMessageContaining("is above the maximum 1.0 us (max-clat-p99 "
                    + "1 µs from vmbench.density.p99Sla) on VM vmb-");
        });
        JsonNode density = SuiteRun.json(Files.readString(run.runDir().resolve("density.json")));
        assertThat(density.path("capacityVms").asInt()).isZero();
        assertThat(density.path("searches").get(0).path("sentence").asText())
                .isEqualTo("embedded-local holds no VM of small within 1 µs p99 on density-rated");
    }
}
