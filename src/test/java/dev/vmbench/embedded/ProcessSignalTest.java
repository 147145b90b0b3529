package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded cluster signals only what it started: a pid file that outlived its runner, or a process of the user
 * that merely names a sandbox's folder, is never stopped or killed.
 */
class ProcessSignalTest {

    @TempDir
    Path root;

    @Test
    void aPidFileThatNowNamesAnotherProcessIsNotTheRunner() throws Exception {
        // given: the runner's pid file names a process that is not this sandbox's runner (the kernel reused the pid)
        Process unrelated = new ProcessBuilder("sleep", "60").start();
        Process runner = null;
        try {
            pidFile(unrelated.pid());

            // then
            assertThat(SandboxGuest.runnerProcesses(root)).isEmpty();

            // and the real runner (running the sandbox's own script) is found
            Path script = Files.createDirectories(root.resolve("usr/local/bin")).resolve("vmbench-guest");
            Files.writeString(script, "#!/bin/bash\nexec sleep 60\n");
            script.toFile().setExecutable(true);
            runner = new ProcessBuilder("bash", script.toString()).start();
            pidFile(runner.pid());
            assertThat(SandboxGuest.runnerProcesses(root)).extracting(ProcessHandle::pid).contains(runner.pid());
        } finally {
            unrelated.destroyForcibly();
            if (runner != null) {
                runner.destroyForcibly();
            }
        }
    }

    @Test
    void aUsersProcessThatNamesAPodsFolderIsNotThePods() throws Exception {
        // given: someone's tail on the pod's folder, and the pod's own process (its environment names the folder)
        Process tail = new ProcessBuilder("tail", "-f", "/dev/null", root.toString()).start();
        ProcessBuilder inPod = new ProcessBuilder("sleep", "60");
        inPod.environment().put("VMBENCH_ROOT", root.toString());
        Process pod = inPod.start();
        try {
            // when
            List<ProcessHandle> found = SimulatedKubelet.processesOf(root);

            // then
            assertThat(found).extracting(ProcessHandle::pid).contains(pod.pid()).doesNotContain(tail.pid());
        } finally {
            tail.destroyForcibly();
            pod.destroyForcibly();
        }
    }

    private void pidFile(long pid) throws IOException {
        Files.createDirectories(root.resolve("var/lib/vmbench"));
        Files.writeString(root.resolve("var/lib/vmbench/runner.pid"), pid + "\n");
    }
}
