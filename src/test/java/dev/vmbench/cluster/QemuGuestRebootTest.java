package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.embedded.EmbeddedCluster;
import dev.vmbench.embedded.GuestImage;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.FioRunListener;
import dev.vmbench.guest.GuestShell;
import dev.vmbench.guest.SshIdentity;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.FioJobs;
import dev.vmbench.profile.ProfileLibrary;
import dev.vmbench.template.Templates;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.sshd.client.SshClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real guest (QEMU, Debian, real cloud-init and systemd) restarted from inside: the data disk comes back at the
 * data dir from fstab, not from cloud-init (whose per-instance runcmd does not run again), and the next permutation
 * measures it.
 */
@EnabledIf(value = "dev.vmbench.embedded.GuestImage#qemuInstalled", disabledReason = "qemu-system-x86_64 is not installed")
class QemuGuestRebootTest {

    @TempDir
    Path dir;

    @Test
    void theDataDiskIsMountedAgainAfterTheGuestRestarts() throws java.io.IOException {
        BenchConfig config = BenchConfig.from(key -> Optional.ofNullable(Map.of("vmbench.embedded.guests", "qemu",
                "vmbench.profiles", "random-rw", "vmbench.blockSizes", "4k").get(key)), name -> null, List.of());
        GuestImage image = GuestImage.ensure(Path.of("src/main/guest-image/build-image.sh"),
                config.embeddedImageCache());
        Templates templates = Templates.in(config.templateDir());
        FioJobs jobs = new FioJobs(ProfileLibrary.load(config.profileDir()), templates, config.runtime(), config.ramp(),
                config.fileSizeBytes(), config.fioTimeoutMargin());
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, config.dataSourceNamespace(),
                config.dataSourceName(), config.sshPort(), List.of(), Optional.empty(), Optional.of(image));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
                KubernetesClient tunnels = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
                SshClient ssh = GuestShell.pinnedClient()) {
            ssh.start();
            VmGroupProvisioner provisioner = new VmGroupProvisioner(client, tunnels, config, templates, ssh,
                    SshIdentity.generate(), "20261123-120000-0b0e", jobs);
            FioPermutation permutation = new FioPermutation("random-rw", BlockSize.parse("4k"));
            try (VmGroup vms = provisioner.provision(new VmGroupSpec(EmbeddedCluster.STORAGE_CLASS,
                    config.vmSizes().get(0), config.pvcSizes().get(0), 1), new Quiet())) {
                GuestShell guest = vms.guests().get(0).shell();
                String firstBoot = bootId(guest);

                // when: the guest restarts itself (the session drops with it)
                try {
                    guest.exec("sudo systemctl reboot", "", Duration.ofSeconds(30), false);
                } catch (RuntimeException sessionGone) {
                    // expected: the guest went down under the session
                }
                await("the guest is back from its reboot").atMost(Duration.ofMinutes(5)).pollInterval(
                        Duration.ofSeconds(5)).ignoreExceptions().until(() -> !bootId(guest).equals(firstBoot));

                // then: fstab mounted the data disk again, and fio measures it
                String mounted = guest.exec("findmnt -n -o SOURCE,FSTYPE /mnt/vmbench", "", Duration.ofSeconds(30),
                        true).stdout().strip();
                assertThat(mounted).isEqualTo("/dev/vdb ext4");
                FioRun run = vms.run(permutation);
                assertThat(run.metrics()).isNotEmpty().allMatch(m -> m.ios() > 0);
            }
        }
    }

    private static String bootId(GuestShell guest) {
        return guest.exec("cat /proc/sys/kernel/random/boot_id", "", Duration.ofSeconds(20), true).stdout().strip();
    }

    /** Nothing of this test is reported. */
    private static final class Quiet implements GroupEvents, FioRunListener {
        @Override
        public void onManifest(VmGroupSpec group, String name, String yaml) {
        }

        @Override
        public void onProvisioned(VmGroupSpec group, Map<String, String> sysinfo, Map<String, Long> phaseMillis) {
        }

        @Override
        public void onDiagnostics(VmGroupSpec group, Map<String, String> evidence) {
        }

        @Override
        public void onKept(VmGroupSpec group, String command) {
        }

        @Override
        public void onJob(VmGroupSpec group, FioPermutation permutation, String job) {
        }

        @Override
        public void onRawOutput(VmGroupSpec group, FioPermutation permutation, String vm, String raw) {
        }

        @Override
        public void onRun(FioRun run) {
        }
    }
}
