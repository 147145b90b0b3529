package dev.vmbench.embedded;

import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes API with KubeVirt and CDI in this JVM: fabric8's mock server in CRUD mode, a
 * {@link SimulatedKubeVirt} that runs VMs as {@link SandboxGuest}s, and the VMI portforward subresource.
 * The harness talks to it through an ordinary client built from {@link #clientConfig()}, exactly as it
 * talks to a real cluster. Serves StorageClass {@value #STORAGE_CLASS} and a Ready DataSource.
 *
 * <pre>{@code
 * try (EmbeddedCluster cluster = EmbeddedCluster.start(Path.of("target/embedded"), "images", "fedora", 2222,
 *         List.of())) {
 *     KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
 * }
 * }</pre>
 */
public final class EmbeddedCluster implements AutoCloseable {

    public static final String STORAGE_CLASS = "embedded-local";
    /** The CSI driver behind the StorageClass, and its VolumeSnapshotClass. */
    static final String PROVISIONER = "sandbox.vmbench.dev";
    static final String SNAPSHOT_CLASS = "embedded-local-snapshots";
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCluster.class);
    /** Held so the setting sticks: the mock server logs every request at INFO through java.util.logging. */
    private static final java.util.logging.Logger MOCK_SERVER_LOG =
            java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

    static {
        MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final KubernetesClient admin;
    private final SimulatedKubeVirt kubevirt;
    private final SimulatedApiServer api;
    private final SimulatedKubelet kubelet;
    private final SimulatedOperations operations;

    private EmbeddedCluster(KubernetesMockServer server, KubernetesClient admin, SimulatedKubeVirt kubevirt,
            SimulatedApiServer api, SimulatedKubelet kubelet, SimulatedOperations operations) {
        this.operations = operations;
        this.kubelet = kubelet;
        this.api = api;
        this.server = server;
        this.admin = admin;
        this.kubevirt = kubevirt;
    }

    /**
     * Starts the API on a loopback port, seeds the StorageClass and DataSource {@code namespace/name}, and
     * starts the simulated control plane, whose sandbox guests live under {@code workDir}.
     */
    public static EmbeddedCluster start(Path workDir, String dataSourceNamespace, String dataSourceName,
            int sshPort, List<Fault> faults) {
        return start(workDir, dataSourceNamespace, dataSourceName, sshPort, faults, Optional.empty());
    }

    /**
     * The same, with the run's identity denied {@code withheld}: what a cluster whose Role lacks that rule does.
     * Otherwise the run's identity holds exactly the documented rules ({@link dev.vmbench.cluster.Permissions}).
     */
    public static EmbeddedCluster start(Path workDir, String dataSourceNamespace, String dataSourceName,
            int sshPort, List<Fault> faults, Optional<dev.vmbench.cluster.Permissions.Rule> withheld) {
        return start(workDir, dataSourceNamespace, dataSourceName, sshPort, faults, withheld, Optional.empty());
    }

    /**
     * The same, with VMs booted as QEMU guests of {@code qemuImage} when it is present (sandboxes otherwise).
     *
     * @throws IllegalArgumentException when a fault acts on sandboxes only and QEMU guests are asked for
     */
    public static EmbeddedCluster start(Path workDir, String dataSourceNamespace, String dataSourceName,
            int sshPort, List<Fault> faults, Optional<dev.vmbench.cluster.Permissions.Rule> withheld,
            Optional<GuestImage> qemuImage) {
        if (qemuImage.isPresent()) {
            List<String> sandboxOnly = faults.stream().filter(Fault::sandboxOnly).map(Fault::spelling).toList();
            if (!sandboxOnly.isEmpty()) {
                throw new IllegalArgumentException("Embedded faults " + sandboxOnly + " act on sandbox guests only, "
                        + "and vmbench.embedded.guests is [qemu]: a real guest cannot be made to misbehave that way. "
                        + "Fix: drop them, or run them with -Dvmbench.embedded.guests=sandbox.");
            }
        }
        SimulatedRbac rbac = SimulatedRbac.documented(dataSourceNamespace, faults);
        if (withheld.isPresent()) {
            rbac = rbac.without(withheld.get());
        }
        List<CustomResourceDefinitionContext> types = KubeVirt.ALL.stream().map(EmbeddedCluster::crd).toList();
        SimulatedKubeVirt[] control = new SimulatedKubeVirt[1];
        SimulatedApiServer api = new SimulatedApiServer(types, sshPort, (ns, vmi, port) -> control[0].portForward(ns, vmi, port),
                (ns, pod) -> control[0].sshdBehindPod(ns, pod), (ns, pod) -> control[0].console(ns, pod), faults, rbac);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                api, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        Config base;
        try (KubernetesClient unauthenticated = server.createClient()) {
            base = unauthenticated.getConfiguration();
        }
        KubernetesClient admin = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(base).withOauthToken(api.adminToken()).build()).build();
        control[0] = new SimulatedKubeVirt(admin, workDir.toAbsolutePath(), faults, sshPort, qemuImage);
        SimulatedOperations operations = new SimulatedOperations(admin, control[0], faults, api);
        SimulatedKubelet kubelet = new SimulatedKubelet(admin, workDir.toAbsolutePath().resolve("pods"), faults);
        api.kubelet(kubelet);
        EmbeddedCluster cluster = new EmbeddedCluster(server, admin, control[0], api, kubelet, operations);
        cluster.seed(dataSourceNamespace, dataSourceName, !faults.contains(Fault.NO_KUBEVIRT),
                faults.contains(Fault.FEATURE_GATES_OFF));
        if (!faults.contains(Fault.NO_KUBEVIRT)) {
            control[0].start();
            operations.start();
        }
        kubelet.start();
        LOG.info("Embedded cluster serving on {} (StorageClass {}, faults {})", admin.getMasterUrl(), STORAGE_CLASS,
                faults);
        return cluster;
    }

    /** Client settings for this cluster's API, as a kubeconfig would give them. */
    /** Watches open on this cluster now, every client's: for tests that prove a wait closed its watch. */
    public int openWatches() {
        return api.openWatches();
    }

    /** The simulator's own identity, unrestricted: for tests that set the cluster up beyond what a run may do. */
    public Config adminConfig() {
        return admin.getConfiguration();
    }

    /** How the run reaches this cluster: its identity holds exactly the documented Role, ClusterRole and rules. */
    /**
     * Plays {@code trace} (an earlier run's {@code trace.jsonl.gz}) back for the VMs created from now on: their
     * recorded states instead of the simulation's ({@link TraceReplay}).
     */
    public void replay(Path trace) {
        kubevirt.replay(TraceReplay.load(trace));
    }

    public Config clientConfig() {
        return new io.fabric8.kubernetes.client.ConfigBuilder(admin.getConfiguration())
                .withOauthToken(api.runToken()).build();
    }

    /**
     * Writes a kubeconfig for this cluster, so another JVM can reach it as it would a real cluster (the
     * {@code -Dpool} path). Returns {@code file}.
     */
    public Path writeKubeconfig(Path file) {
        String kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: vmbench-embedded
                    cluster:
                      server: %s
                users:
                  - name: vmbench
                    user:
                      token: %s
                contexts:
                  - name: vmbench-embedded
                    context:
                      cluster: vmbench-embedded
                      user: vmbench
                      namespace: default
                current-context: vmbench-embedded
                """.formatted(admin.getMasterUrl(), api.runToken());
        try {
            java.nio.file.Files.writeString(file, kubeconfig);
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Cannot write a kubeconfig to " + file, e);
        }
    }

    private void seed(String dataSourceNamespace, String dataSourceName, boolean withKubeVirt, boolean gatesOff) {
        for (int i = 0; i < 3; i++) {
            admin.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
                    .withName("embedded-worker-" + i).addToLabels("node.kubernetes.io/instance-type", "sandbox")
                    .addToLabels("node-role.kubernetes.io/worker", "").endMetadata().build()).create();
        }
        if (withKubeVirt) {
            // the upstream release the simulation follows; with fault feature-gates-off, one before the Snapshot and
            // ExpandDisks gates were on by default, with neither enabled
            installed(KubeVirt.KUBEVIRT, "kubevirt", "KubeVirt", Map.of("observedKubeVirtVersion", gatesOff
                    ? "v1.6.0-embedded" : "v1.9.0-embedded"));
        }
        installed(KubeVirt.CDI, null, "CDI", Map.of("observedVersion", "embedded"));
        // CDI recommends ReadWriteMany + Block for the sandbox class, as it does for ceph-rbd
        installed(KubeVirt.STORAGE_PROFILE, null, "StorageProfile", STORAGE_CLASS, Map.of("claimPropertySets",
                List.of(Map.of("accessModes", List.of("ReadWriteMany"), "volumeMode", "Block"))));
        admin.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata()
                .withName(STORAGE_CLASS).endMetadata().withProvisioner(PROVISIONER)
                .withVolumeBindingMode("Immediate").withAllowVolumeExpansion(true).build()).create();
        // the sandbox driver takes snapshots, so KubeVirt can snapshot VMs and CDI clone by snapshot
        GenericKubernetesResource snapshotClass = new GenericKubernetesResource();
        snapshotClass.setApiVersion("snapshot.storage.k8s.io/v1");
        snapshotClass.setKind("VolumeSnapshotClass");
        snapshotClass.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(SNAPSHOT_CLASS)
                .build());
        snapshotClass.setAdditionalProperty("driver", PROVISIONER);
        snapshotClass.setAdditionalProperty("deletionPolicy", "Delete");
        admin.genericKubernetesResources(KubeVirt.VOLUME_SNAPSHOT_CLASS).resource(snapshotClass).create();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(dataSourceNamespace)
                .endMetadata().build()).create();
        GenericKubernetesResource source = Serialization.unmarshal(dataSourceManifest(dataSourceNamespace,
                dataSourceName), GenericKubernetesResource.class);
        KubeVirt.in(admin, KubeVirt.DATA_SOURCE, dataSourceNamespace).resource(source).create();
        GenericKubernetesResource created = KubeVirt.in(admin, KubeVirt.DATA_SOURCE, dataSourceNamespace)
                .withName(dataSourceName).get();
        created.setAdditionalProperty("status", Map.of("conditions", List.of(Map.of("type", "Ready",
                "status", "True", "reason", "Ready", "message", ""))));
        KubeVirt.in(admin, KubeVirt.DATA_SOURCE, dataSourceNamespace).resource(created).updateStatus();
    }

    private void installed(ResourceDefinitionContext type, String namespace, String kind, Map<String, Object> status) {
        installed(type, namespace, kind, kind.toLowerCase(), status);
    }

    private void installed(ResourceDefinitionContext type, String namespace, String kind, String name,
            Map<String, Object> status) {
        GenericKubernetesResource resource = new GenericKubernetesResource();
        resource.setApiVersion(type.getGroup() + "/" + type.getVersion());
        resource.setKind(kind);
        resource.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name)
                .withNamespace(namespace).build());
        var resources = admin.genericKubernetesResources(type);
        GenericKubernetesResource created = namespace == null ? resources.resource(resource).create()
                : resources.inNamespace(namespace).resource(resource).create();
        created.setAdditionalProperty("status", status);
        (namespace == null ? resources.resource(created) : resources.inNamespace(namespace).resource(created))
                .updateStatus();
    }

    /** The golden-image DataSource the embedded cluster serves, as a manifest. */
    static String dataSourceManifest(String namespace, String name) {
        return """
                apiVersion: cdi.kubevirt.io/v1beta1
                kind: DataSource
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  source:
                    pvc:
                      name: %s-golden
                      namespace: %s
                """.formatted(name, namespace, name, namespace);
    }

    private static CustomResourceDefinitionContext crd(ResourceDefinitionContext type) {
        return new CustomResourceDefinitionContext.Builder()
                .withGroup(type.getGroup()).withVersion(type.getVersion()).withKind(type.getKind())
                .withPlural(type.getPlural()).withScope(type.isNamespaceScoped() ? "Namespaced" : "Cluster")
                .withStatusSubresource(true)
                .build();
    }

    @Override
    public void close() {
        operations.close();
        kubelet.close();
        kubevirt.close();
        admin.close();
        server.destroy();
    }
}
