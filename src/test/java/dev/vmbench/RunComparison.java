package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.gate.Baseline;
import dev.vmbench.report.ResultStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two earlier runs compared with no cluster — the command
 * {@code mvn verify -DskipUnitTests -Dit.test=RunComparison -Dvmbench.compare=OLDER,NEWER} (run folders): writes
 * {@code comparison.md} and {@code comparison.html} into the newer run's folder and fails on a regression beyond
 * {@code vmbench.baselineThroughputDrop} / {@code vmbench.baselineLatencyRise}. The older run may be the bash
 * suite's results folder or CSV ({@code vmbench.baselinePools} maps its pool aliases). Not part of the suite: its
 * name matches neither Surefire's nor Failsafe's patterns, so it runs only when named.
 */
class RunComparison {

    static final String KEY = "vmbench.compare";

    @Test
    void theNewerRunDoesNotRegress() {
        String pair = System.getProperty(KEY);
        Assumptions.assumeTrue(pair != null && !pair.isBlank(), "nothing to compare: set -D" + KEY + "=OLDER,NEWER");
        BenchConfig config = BenchConfig.from(key -> Optional.ofNullable(System.getProperty(key)), System::getenv,
                List.of());
        String[] runs = pair.split(",", -1);
        if (runs.length != 2 || runs[0].isBlank() || runs[1].isBlank()) {
            throw new IllegalArgumentException("Setting " + KEY + " = [" + pair + "] must name two run folders, the "
                    + "older first. Fix: -D" + KEY + "=target/vmbench/<older-run-id>,target/vmbench/<newer-run-id>");
        }
        List<String> regressions = compare(Path.of(runs[0].trim()), Path.of(runs[1].trim()), config);

        assertThat(regressions).as("regressions of " + runs[1].trim() + " against " + runs[0].trim()).isEmpty();
    }

    /**
     * Writes the comparison into {@code newer} and returns its regressions.
     *
     * @throws IllegalArgumentException when a folder is no run, or the runs share no permutation
     */
    static List<String> compare(Path older, Path newer, BenchConfig config) {
        if (!Files.isRegularFile(newer.resolve("summary.json"))) {
            throw new IllegalArgumentException("Run [" + newer + "] has no summary.json. Fix: name a vmbench run's "
                    + "folder (target/vmbench/<run-id>) second; the older one may also be the bash suite's results.");
        }
        Baseline before = Baseline.load(older, config.baselineThroughputDrop(), config.baselineLatencyRise(),
                config.baselinePools());
        Baseline after = Baseline.load(newer, config.baselineThroughputDrop(), config.baselineLatencyRise(), java.util.Map.of());
        List<String[]> rows = before.compare(after);
        ResultStore.writeComparison(newer, newer.getFileName().toString(), before.toString(), rows);
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("Runs [" + older + "] and [" + newer + "] share no permutation (group, "
                    + "profile and block size with the same job sections), so there is nothing to compare. Fix: compare "
                    + "runs of the same matrix (and map a bash-suite baseline's pools with -Dvmbench.baselinePools).");
        }
        return before.regressions(after);
    }
}
