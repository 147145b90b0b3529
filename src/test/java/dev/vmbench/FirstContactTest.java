package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first try against a cluster that cannot be reached: the run stops within seconds with one message
 * that says where the kubeconfig was looked for, and the other tests are reported as not run.
 */
class FirstContactTest {

    @TempDir
    Path dir;

    @Test
    void aMissingKubeconfigStopsTheRunAtOnceWithOneMessage() throws Exception {
        // given: -Dpool set, KUBECONFIG pointing at a file that does not exist
        Path missing = dir.resolve("missing-kubeconfig");
        ProcessBuilder suite = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dpool=ocs-storagecluster-ceph-rbd",
                "-Dvmbench.concurrency=1,4", "-Dvmbench.profiles=random-rw,lite-db-oltp", "-Dvmbench.blockSizes=4k",
                "-Dvmbench.resultsDir=" + dir.resolve("results"), "-Dallure.results.directory=" + dir.resolve("allure"),
                SuiteMain.class.getName()).redirectErrorStream(true).redirectOutput(dir.resolve("suite.log").toFile());
        suite.environment().put("KUBECONFIG", missing.toString());
        long start = System.nanoTime();

        // when
        Process process = suite.start();

        // then
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the run ends within 30 s").isTrue();
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(30);
        String log = Files.readString(dir.resolve("suite.log"));
        assertThat(log).contains("No kubeconfig: KUBECONFIG is [" + missing + "], and that file does not exist.")
                .contains("[         1 tests failed          ]").contains("[         3 tests aborted         ]")
                .doesNotContain("kubernetes.default.svc");
    }
}
