package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What people repeat in one checkout without cleaning: a dry run, then the suite twice, each in a JVM of its own
 * (as {@code mvn verify} runs it) sharing one Allure results folder and one results folder.
 */
class RepeatedRunTest {

    @TempDir
    Path dir;

    private String suite(String... settings) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"),
                "-Dvmbench.resultsDir=" + dir.resolve("results"), "-Dallure.results.directory=" + dir.resolve("allure"),
                "-Dvmbench.concurrency=1", "-Dvmbench.profiles=random-rw", "-Dvmbench.blockSizes=4k",
                "-Dvmbench.runtime=1s", "-Dvmbench.fileSize=16MiB"));
        command.addAll(List.of(settings));
        command.add(SuiteMain.class.getName());
        Path log = Files.createTempFile(dir, "suite", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("the suite ends").isTrue();
        return Files.readString(log);
    }

    @Test
    void aDryRunThenTwoRunsInOneCheckoutAllSucceedAndTheReportShowsTheLatest() throws Exception {
        // given: a dry run for a real cluster's StorageClass, then a first run, with a trend history kept
        String dry = suite("-Dpool=ocs-storagecluster-ceph-rbd", "-Dvmbench.dryRun=true");
        assertThat(dry).contains("1 tests skipped").contains("0 tests failed");
        String first = suite();
        assertThat(first).contains("1 tests successful").contains("0 tests failed");
        Files.createDirectories(dir.resolve("allure/history"));
        Files.writeString(dir.resolve("allure/history/history-trend.json"), "[]");
        // a shared results folder: another tool's result and a person's notes, older than the next run
        Files.writeString(dir.resolve("allure/0000-other-tool-result.json"), "{\"name\": \"not vmbench's\"}");
        Files.writeString(dir.resolve("allure/notes.txt"), "mine");
        try (Stream<Path> files = Files.list(dir.resolve("allure"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
                        - 60_000));
            }
        }

        // when
        String second = suite();

        // then: it ran, it passed, and its summary says so
        assertThat(second).doesNotContain("FileAlreadyExistsException").contains("1 tests successful")
                .contains("0 tests failed");
        // and a person watching saw where it was: one progress line per test, with the estimate of what is left
        assertThat(second).containsPattern("\\[1/1\\] passed embedded-local small 1Gi x1 · random-rw 4k — \\d+ IOPS, "
                + "worst p99 \\d+\\.\\d\\d ms — \\d+:\\d\\d elapsed, about 0:00 left");
        Path run = latestRun();
        JsonNode summary = SuiteRun.json(Files.readString(run.resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("passed");
        assertThat(summary.path("tests").path("passed").asInt()).isEqualTo(1);
        // the report holds the second run only (one test and its run summary), and the history for trends
        List<JsonNode> results = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("allure"))) {
            for (Path f : files.filter(f -> f.toString().endsWith("-result.json")).toList()) {
                results.add(SuiteRun.json(Files.readString(f)));
            }
        }
        assertThat(results).extracting(r -> r.path("name").asText()).containsExactlyInAnyOrder(
                "embedded-local small 1Gi x1 · random-rw 4k", "Run summary " + run.getFileName(), "not vmbench's");
        // what vmbench did not write there stays: only what earlier runs listed in their manifests went
        assertThat(dir.resolve("allure/notes.txt")).hasContent("mine");
        assertThat(Files.readString(dir.resolve("allure/environment.properties"))).contains("run=" + run.getFileName());
        assertThat(dir.resolve("allure/categories.json")).exists();
        assertThat(dir.resolve("allure/history/history-trend.json")).exists();
    }

    private Path latestRun() throws IOException {
        try (Stream<Path> runs = Files.list(dir.resolve("results"))) {
            return runs.filter(r -> Files.exists(r.resolve("summary.json")))
                    .max(java.util.Comparator.comparing(r -> r.getFileName().toString())).orElseThrow();
        }
    }
}
