package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * The storage suite on a real guest: the embedded cluster boots Debian under QEMU with the VM's own cloud-init
 * Secret, and the harness takes the path it takes on a real cluster — readiness, cloud-init's own wait, the data
 * disk by its serial, fio under systemd, collection, cleanup.
 */
@EnabledIf(value = "dev.vmbench.embedded.GuestImage#qemuInstalled", disabledReason = "qemu-system-x86_64 is not installed")
class QemuGuestSuiteTest {

    /** cloud-init's own last line, on the serial console: "Cloud-init v. 22.4.2 finished at Mon, 23 Nov 2026 …". */
    private static final Pattern CLOUD_INIT_FINISHED = Pattern.compile(
            "Cloud-init v\\. \\S+ finished at (\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4})");

    @TempDir
    Path dir;

    @Test
    void aRealGuestRunsTheSuiteOnItsVirtioDataDisk() throws IOException {
        // when: one VM, two permutations
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.embedded.guests", "qemu",
                "vmbench.concurrency", "1", "vmbench.profiles", "random-rw", "vmbench.blockSizes", "4k,64k"));

        // then: both pass on real fio output
        assertThat(run.tests().values()).hasSize(2)
                .allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        List<JsonNode> tests = run.testResults();
        assertThat(tests).allSatisfy(test -> assertThat(SuiteRun.attachmentNames(test)).anyMatch(n -> n.matches(
                "fio .*\\.json")));
        JsonNode first = tests.stream().filter(t -> SuiteRun.attachmentNames(t).stream()
                .anyMatch(n -> n.startsWith("sysinfo "))).findFirst().orElseThrow();

        // the guest's own kernel, and fio on the virtio disk with the VM's serial behind the data dir
        String sysinfo = attachment(run, first, "sysinfo ");
        assertThat(sysinfo).containsPattern("(?m)^kernel: 6\\.\\d+\\.\\d+.*amd64$")
                .containsPattern("(?m)^data-device: /dev/vd[b-z] \\(serial [a-z0-9-]+\\)$")
                .contains("data-driver: virtio_blk");
        JsonNode fio = SuiteRun.json(attachment(run, first, "fio "));
        assertThat(fio.path("fio version").asText()).startsWith("fio-3.");
        assertThat(fio.at("/jobs/0/read/io_bytes").asLong()).isPositive();

        // the serial console, with cloud-init's own finish time; the group was ready only after it
        String console = attachment(run, first, "serial console ");
        Matcher finished = CLOUD_INIT_FINISHED.matcher(console);
        assertThat(finished.find()).as("cloud-init's finish line on the console").isTrue();
        Instant cloudInitDone = ZonedDateTime.parse(finished.group(1), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        String provisioned = Files.readAllLines(run.runDir().resolve("provisioning.log")).get(0);
        Instant ready = Instant.parse(provisioned.substring(0, provisioned.indexOf(' ')));
        assertThat(ready).as("the group's ready time").isAfterOrEqualTo(cloudInitDone);

        // nothing a reviewer reads holds a private key (the console shows only the host key's public half)
        assertThat(tests).allSatisfy(test -> assertThat(SuiteRun.attachments(test))
                .allSatisfy(a -> assertThat(run.attachment(a)).doesNotContain("PRIVATE KEY")));
    }

    private static String attachment(SuiteRun run, JsonNode test, String prefix) {
        JsonNode found = SuiteRun.attachments(test).stream().filter(a -> a.path("name").asText().startsWith(prefix))
                .findFirst().orElseThrow(() -> new AssertionError("no attachment named " + prefix + "… in "
                        + SuiteRun.attachmentNames(test)));
        return run.attachment(found);
    }
}
