package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.TestExecutionResult;

/**
 * Every storage-suite command in README.md and docs/*.md is accepted with its defaults: its settings pass validation
 * and it plans as a dry run (no cluster is needed for that). A default that stops fitting, a renamed setting or a
 * preset whose files do not fit its disks fails here, not on a user's cluster.
 */
class DocumentedCommandsTest {

    private static final Pattern COMMAND = Pattern.compile("mvn (?:-B )?verify[^`\\n|]*");
    private static final Pattern SETTING = Pattern.compile("-D([\\w.]+)=(\\S*)");
    /** What a reader puts in for a placeholder. */
    private static final Map<String, String> FILLED = Map.of("<StorageClass>", "ocs-storagecluster-ceph-rbd", "<sc>",
            "ocs-storagecluster-ceph-rbd");

    @TempDir
    Path dir;

    static Stream<Named<String>> documentedCommands() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<Named<String>> commands = new ArrayList<>();
        for (Path doc : docs) {
            List<String> lines = Files.readAllLines(doc);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = COMMAND.matcher(lines.get(i));
                while (m.find()) {
                    String command = m.group().replaceAll("\\s+#.*$", "").trim();
                    // two runs on disk compared, no suite run: not a storage-suite command
                    if (!command.contains("RunComparison")) {
                        commands.add(Named.of(doc + ":" + (i + 1) + " " + command, command));
                    }
                }
            }
        }
        assertThat(commands).as("the docs show storage-suite commands").hasSizeGreaterThan(10);
        return commands.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documentedCommands")
    void isAcceptedWithItsDefaultsAndPlansAsADryRun(String command) throws IOException {
        // given: the command's own settings, placeholders filled as a reader would
        Map<String, String> settings = new LinkedHashMap<>();
        Class<?> suite = StorageBenchmarkIT.class;
        Matcher m = SETTING.matcher(command);
        while (m.find()) {
            String value = FILLED.getOrDefault(m.group(2), m.group(2));
            if (m.group(1).equals("it.test")) {
                suite = switch (value) {
                    case "VmDensityIT" -> VmDensityIT.class;
                    case "QueueDepthIT" -> QueueDepthIT.class;
                    case "PodBaselineIT" -> PodBaselineIT.class;
                    case "StorageCapabilitiesIT" -> StorageCapabilitiesIT.class;
                    default -> throw new AssertionError("the docs name a suite this test does not know: " + value);
                };
            } else if (m.group(1).equals("pool") || m.group(1).startsWith("vmbench.")) {
                settings.put(m.group(1), value.replaceAll("^'(.*)'$", "$1"));
            }
        }
        settings.put("vmbench.dryRun", "true");

        // when
        SuiteRun run = SuiteRun.asGiven(suite, dir, settings);

        // then: nothing broke, and the plan was written
        assertThat(run.tests().values()).as(command).allSatisfy(r -> assertThat(r.getStatus())
                .as(r.getThrowable().map(Throwable::getMessage).orElse("")).isEqualTo(TestExecutionResult.Status
                        .SUCCESSFUL));
        assertThat(Files.readString(run.runDir().resolve("plan.txt"))).contains("nothing is created");
    }
}
