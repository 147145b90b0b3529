package dev.vmbench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qameta.allure.Allure;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.FileSystemResultsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs a benchmark class through the JUnit Launcher on the embedded cluster with the given settings, its
 * results folder and Allure results in {@code dir}, and gives back what a reviewer would see.
 */
public record SuiteRun(Map<String, TestExecutionResult> tests, Path resultsDir, Path allureDir) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static SuiteRun of(Class<?> benchmark, Path dir, Map<String, String> settings) {
        Map<String, String> parameters = new HashMap<>(settings);
        parameters.put("vmbench.fileSize", parameters.getOrDefault("vmbench.fileSize", "16MiB"));
        parameters.put("vmbench.runtime", parameters.getOrDefault("vmbench.runtime", "1s"));
        return asGiven(benchmark, dir, parameters);
    }

    /** The same, with the settings exactly as given (no small test file or short runtime added): a user's command. */
    public static SuiteRun asGiven(Class<?> benchmark, Path dir, Map<String, String> settings) {
        Path results = dir.resolve("results");
        Path allure = dir.resolve("allure-results");
        Map<String, String> parameters = new HashMap<>(settings);
        parameters.putIfAbsent("vmbench.resultsDir", results.toString());
        results = Path.of(parameters.get("vmbench.resultsDir"));
        Map<String, TestExecutionResult> tests = new java.util.LinkedHashMap<>();
        AllureLifecycle outer = Allure.getLifecycle();
        // Allure's listener is created with the launcher and takes the lifecycle current at that moment
        Allure.setLifecycle(new AllureLifecycle(new FileSystemResultsWriter(allure)));
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(benchmark))
                    .configurationParameters(parameters).build(), new TestExecutionListener() {
                        @Override
                        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                            if (id.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                                tests.put(id.getUniqueId() + " " + id.getDisplayName(), result);
                            }
                        }
                    });
        } finally {
            Allure.setLifecycle(outer);
        }
        return new SuiteRun(tests, results, allure);
    }

    /** The result of the first test with this display name (e.g. {@code random-rw 4k}). */
    public TestExecutionResult test(String displayName) {
        return tests.entrySet().stream().filter(e -> e.getKey().endsWith(" " + displayName)).findFirst()
                .orElseThrow(() -> new AssertionError("no test named " + displayName + " in " + tests.keySet()))
                .getValue();
    }

    /** The one run folder under the results folder. */
    public Path runDir() {
        try (Stream<Path> runs = Files.list(resultsDir)) {
            List<Path> all = runs.toList();
            if (all.size() != 1) {
                throw new IllegalStateException("expected one run folder in " + resultsDir + ", found " + all);
            }
            return all.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every Allure test result, parsed. */
    public List<JsonNode> allureResults() {
        try (Stream<Path> files = Files.list(allureDir)) {
            List<JsonNode> results = new ArrayList<>();
            for (Path file : files.filter(f -> f.toString().endsWith("-result.json")).sorted().toList()) {
                results.add(JSON.readTree(file.toFile()));
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Allure results of the benchmark's tests (not the run summary). */
    public List<JsonNode> testResults() {
        return allureResults().stream().filter(r -> !r.path("name").asText().startsWith("Run summary")).toList();
    }

    /** The run summary's Allure result. */
    public JsonNode runSummary() {
        return allureResults().stream().filter(r -> r.path("name").asText().startsWith("Run summary")).findFirst()
                .orElseThrow(() -> new AssertionError("no Run summary in " + allureDir));
    }

    /** Every attachment of a result, its steps' included. */
    public static List<JsonNode> attachments(JsonNode result) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode list : result.findValues("attachments")) {
            list.forEach(all::add);
        }
        return all;
    }

    public static List<String> attachmentNames(JsonNode result) {
        return attachments(result).stream().map(a -> a.path("name").asText()).toList();
    }

    /** The names of a result's top-level steps. */
    public static List<String> steps(JsonNode result) {
        List<String> names = new ArrayList<>();
        result.path("steps").forEach(step -> names.add(step.path("name").asText()));
        return names;
    }

    public String attachment(JsonNode attachment) {
        try {
            return Files.readString(allureDir.resolve(attachment.path("source").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String parameter(JsonNode allureResult, String name) {
        for (JsonNode p : allureResult.path("parameters")) {
            if (p.path("name").asText().equals(name)) {
                return p.path("value").asText();
            }
        }
        return null;
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
