package dev.vmbench.junit;

import dev.vmbench.cluster.Preflight;
import dev.vmbench.cluster.VmGroupProvisioner;
import dev.vmbench.config.BenchConfig;
import dev.vmbench.embedded.EmbeddedCluster;
import dev.vmbench.embedded.Fault;
import dev.vmbench.guest.SshIdentity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's live links: the cluster (the kubeconfig's, or an embedded one started here), its clients, the
 * SSH client and identity, and the provisioner. Closed after every group; a shutdown hook deletes the run's
 * resources if the JVM is stopped first (Ctrl+C, SIGTERM).
 */
final class Connection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final EmbeddedCluster embedded;
    private final KubernetesClient client;
    private final KubernetesClient tunnelClient;
    private final SshClient ssh;
    private final VmGroupProvisioner provisioner;
    private final Thread shutdownHook;

    private Connection(EmbeddedCluster embedded, KubernetesClient client, KubernetesClient tunnelClient, SshClient ssh,
            VmGroupProvisioner provisioner) {
        this.embedded = embedded;
        this.client = client;
        this.tunnelClient = tunnelClient;
        this.ssh = ssh;
        this.provisioner = provisioner;
        this.shutdownHook = new Thread(this::interrupted, "vmbench-cleanup-on-exit");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    static Connection open(Settings settings) {
        BenchConfig config = settings.config();
        EmbeddedCluster embedded = null;
        Config clientConfig;
        if (config.embedded()) {
            List<Fault> faults = config.embeddedFaults().stream().map(Fault::parse).toList();
            embedded = EmbeddedCluster.start(Path.of("target", "vmbench-embedded", settings.runId()),
                    config.dataSourceNamespace(), config.dataSourceName(), config.sshPort(), faults);
            clientConfig = embedded.clientConfig();
        } else {
            clientConfig = Config.autoConfigure(null);
        }
        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
        // Tunnels decide themselves what to retry; the client's own handshake retries would hide the cause.
        KubernetesClient tunnelClient = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(clientConfig).withRequestRetryBackoffLimit(0).build()).build();
        try {
            Preflight.check(client, config);
            settings.environment().putAll(dev.vmbench.cluster.ClusterFacts.read(client, config));
        } catch (RuntimeException e) {
            tunnelClient.close();
            client.close();
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
        SshClient ssh = SshClient.setUpDefaultClient();
        ssh.start();
        SshIdentity identity = SshIdentity.generate();
        LOG.info("Run {} SSH client key {}", settings.runId(), identity.fingerprint());
        if (config.keepKeys()) {
            Path keys = settings.results().dir().resolve("ssh");
            identity.writeTo(keys);
            LOG.warn("Kept the run's SSH client key in {} (vmbench.keepKeys=true); delete it when done", keys);
        }
        VmGroupProvisioner provisioner = new VmGroupProvisioner(client, tunnelClient, config, settings.templates(), ssh,
                identity, settings.runId(), settings.jobs());
        if (config.sweep()) {
            List<String> swept = provisioner.sweepEarlierRuns();
            LOG.info("Swept {} leftover resource(s) of earlier runs from {}{}", swept.size(), config.namespace(),
                    swept.isEmpty() ? "" : ": " + swept);
            settings.results().writeSwept(swept);
        }
        return new Connection(embedded, client, tunnelClient, ssh, provisioner);
    }

    VmGroupProvisioner provisioner() {
        return provisioner;
    }

    private void interrupted() {
        LOG.warn("JVM stopping before the run ended: deleting this run's resources");
        List<String> left = provisioner.deleteRun(Duration.ofSeconds(60));
        if (!left.isEmpty()) {
            LOG.warn("Not deleted: {}", left);
        }
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyStopping) {
            // the hook runs (or ran) instead
        }
        try {
            ssh.stop();
        } catch (RuntimeException e) {
            LOG.debug("SSH client stop: {}", e.getMessage());
        }
        tunnelClient.close();
        client.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
