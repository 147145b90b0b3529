package dev.vmbench.junit;

import dev.vmbench.cluster.Kubeconfig;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import dev.vmbench.cluster.RunTrace;
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
    private final RunTrace trace;

    private Connection(EmbeddedCluster embedded, KubernetesClient client, KubernetesClient tunnelClient, SshClient ssh,
            VmGroupProvisioner provisioner, RunTrace trace) {
        this.trace = trace;
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
        String source = "the embedded cluster";
        if (config.embedded()) {
            List<Fault> faults = config.embeddedFaults().stream().map(Fault::parse).toList();
            // a real guest's image is built (once) before the cluster answers: its two minutes are not a VM's
            java.util.Optional<dev.vmbench.embedded.GuestImage> image = config.embeddedGuests().equals("qemu")
                    ? java.util.Optional.of(dev.vmbench.embedded.GuestImage.ensure(
                            Path.of("src", "main", "guest-image", "build-image.sh"), config.embeddedImageCache()))
                    : java.util.Optional.empty();
            embedded = EmbeddedCluster.start(Path.of("target", "vmbench-embedded", settings.runId()),
                    config.dataSourceNamespace(), config.dataSourceName(), config.sshPort(), faults,
                    java.util.Optional.empty(), image);
            config.embeddedReplay().ifPresent(embedded::replay);
            clientConfig = embedded.clientConfig();
        } else {
            Kubeconfig kubeconfig = Kubeconfig.locate();
            // first contact fails once and fast: no retry loop hides an unreachable API for a minute
            clientConfig = new ConfigBuilder(Config.autoConfigure(null)).withRequestRetryBackoffLimit(1)
                    .withConnectionTimeout(10_000).withRequestTimeout(30_000).build();
            LOG.info("Cluster {} (credentials from {})", clientConfig.getMasterUrl(), kubeconfig);
            source = kubeconfig.toString();
        }
        // the trace records every API error of the run's client from its first request on
        RunTrace trace = config.trace() ? RunTrace.to(settings.results().dir().resolve("trace.jsonl.gz"))
                : RunTrace.off();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("vmbench-trace", trace.interceptor()))
                .build();
        // Tunnels decide themselves what to retry; the client's own handshake retries would hide the cause.
        KubernetesClient tunnelClient = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(clientConfig).withRequestRetryBackoffLimit(0).build()).build();
        SshClient ssh = null;
        VmGroupProvisioner provisioner = null;
        try {
            List<String> storageClasses;
            try {
                storageClasses = Preflight.check(client, config);
            } catch (dev.vmbench.cluster.ProvisioningException e) {
                throw new dev.vmbench.cluster.ProvisioningException(e.getMessage() + "\n(cluster " + client.getMasterUrl()
                        + " from " + source + ")", e);
            }
            settings.thresholds().requireKnownPools(storageClasses);
            trace.watch(client, config.namespace(), settings.runId());
            settings.environment().putAll(dev.vmbench.cluster.ClusterFacts.read(client, config));
            ssh = dev.vmbench.guest.GuestShell.pinnedClient();
            ssh.start();
            SshIdentity identity = SshIdentity.generate();
            LOG.info("Run {} SSH client key {}", settings.runId(), identity.fingerprint());
            if (config.keepKeys()) {
                Path keys = settings.results().dir().resolve("ssh");
                identity.writeTo(keys);
                LOG.warn("Kept the run's SSH client key in {} (vmbench.keepKeys=true); delete it when done", keys);
            }
            provisioner = new VmGroupProvisioner(client, tunnelClient, config, settings.templates(), ssh, identity,
                    settings.runId(), settings.session(), settings.jobs());
            if (config.sweep()) {
                List<String> swept = provisioner.sweepEarlierRuns();
                LOG.info("Swept {} leftover resource(s) of earlier runs from {}{}", swept.size(), config.namespace(),
                        swept.isEmpty() ? "" : ": " + swept);
                settings.results().writeSwept(swept);
            }
            return new Connection(embedded, client, tunnelClient, ssh, provisioner, trace);
        } catch (RuntimeException e) {
            trace.close();
            // nothing of a connection that failed half-way stays open
            if (provisioner != null) {
                provisioner.close();
            }
            if (ssh != null) {
                stopQuietly(ssh);
            }
            tunnelClient.close();
            client.close();
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    private static void stopQuietly(SshClient ssh) {
        try {
            ssh.stop();
        } catch (RuntimeException e) {
            LOG.debug("SSH client stop: {}", e.getMessage());
        }
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
        provisioner.close();
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyStopping) {
            // the hook runs (or ran) instead
        }
        provisioner.close();
        stopQuietly(ssh);
        trace.close();
        tunnelClient.close();
        client.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
