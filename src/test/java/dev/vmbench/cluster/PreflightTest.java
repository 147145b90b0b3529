package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.embedded.EmbeddedCluster;
import dev.vmbench.embedded.Fault;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preflight against the embedded cluster's API: every problem found, in one message, each with its fix. */
class PreflightTest {

    @TempDir
    Path dir;

    private static BenchConfig config(Map<String, String> settings) {
        return BenchConfig.from(key -> Optional.ofNullable(settings.get(key)), name -> null, List.of());
    }

    @Test
    void aReadyClusterPasses() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            assertThatCode(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora")))).doesNotThrowAnyException();
        }
    }

    @Test
    void anEncryptingRootDiskClassIsRefusedEvenAsTheDefault() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
                KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
            admin.storage().v1().storageClasses().resource(new io.fabric8.kubernetes.api.model.storage.StorageClassBuilder()
                    .withNewMetadata().withName("rbd-encrypted")
                    .addToAnnotations("storageclass.kubevirt.io/is-default-virt-class", "true").endMetadata()
                    .withProvisioner("rbd.csi.ceph.com").addToParameters("encrypted", "true").build()).create();

            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora"))))
                    .hasMessage("Preflight found 1 problem(s):\n  - Root-disk StorageClass [rbd-encrypted] encrypts "
                            + "volumes (encrypted=true): the root disks are clones of an unencrypted golden image and "
                            + "cannot be placed there. Fix: set -Dvmbench.rootStorageClass to an unencrypted class (the "
                            + "class under test is only used for the data disks).");
            assertThatCode(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora", "vmbench.rootStorageClass", EmbeddedCluster.STORAGE_CLASS))))
                    .doesNotThrowAnyException();
        }
    }

    /** A labelled Secret per run, named {@code left-<last 4 characters of the run id>}. */
    private static void leftovers(KubernetesClient client, String... runs) {
        for (String run : runs) {
            client.secrets().inNamespace("vmbench").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata().withName("left-" + run.substring(run.length() - 4))
                    .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).addToLabels(Labels.RUN, run).endMetadata()
                    .build()).create();
        }
    }

    @Test
    void aSweepDeletesWhatEarlierRunsLeftAndNothingOfThisRun() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            leftovers(client, "20261101-000000-dead", "20261123-120000-this");
            VmGroupProvisioner provisioner = new VmGroupProvisioner(client, client, config(Map.of("pool",
                    EmbeddedCluster.STORAGE_CLASS)), null, null, null, "20261123-120000-this", null)
                    .watchingLeasesFor(java.time.Duration.ofSeconds(2));

            org.assertj.core.api.Assertions.assertThat(provisioner.sweepEarlierRuns())
                    .containsExactly("Secret left-dead (run 20261101-000000-dead)");
            org.assertj.core.api.Assertions.assertThat(client.secrets().inNamespace("vmbench").list().getItems())
                    .extracting(secret -> secret.getMetadata().getName()).containsExactly("left-this");
        }
    }

    @Test
    void aSweepSparesARunWhoseHarnessStillRenewsItsLeaseWhateverTheClocksSay() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            // given: leftovers of a run that is gone, and resources of a run that is alive in another JVM
            // given: leftovers of a run that is gone (its lease stamped by a clock an hour ahead, but no longer
            // renewed), and resources of a run alive in another JVM whose clock is an hour behind this one's
            leftovers(client, "20261101-000000-dead", "20261123-110000-live");
            java.time.Clock ahead = java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofHours(1));
            java.time.Clock behind = java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofHours(-1));
            RunLease.take(client, "vmbench", "20261101-000000-dead", java.time.Duration.ofHours(1), ahead);
            try (RunLease live = RunLease.take(client, "vmbench", "20261123-110000-live", java.time.Duration
                    .ofMillis(300), behind)) {
                VmGroupProvisioner provisioner = new VmGroupProvisioner(client, client, config(Map.of("pool",
                        EmbeddedCluster.STORAGE_CLASS)), null, null, null, "20261123-120000-this", null)
                        .watchingLeasesFor(java.time.Duration.ofSeconds(2));

                // when
                List<String> swept = provisioner.sweepEarlierRuns();

                // then
                org.assertj.core.api.Assertions.assertThat(swept)
                        .containsExactly("Secret left-dead (run 20261101-000000-dead)");
                org.assertj.core.api.Assertions.assertThat(client.secrets().inNamespace("vmbench").list().getItems())
                        .extracting(secret -> secret.getMetadata().getName()).containsExactly("left-live");
            }
            try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
                org.assertj.core.api.Assertions.assertThat(admin.leases().inNamespace("vmbench").list().getItems())
                        .as("a closed lease is deleted").isEmpty();
            }
        }
    }

    @Test
    void anExpiredLoginSaysToLogInAgain() {
        io.fabric8.kubernetes.client.server.mock.KubernetesMockServer server =
                new io.fabric8.kubernetes.client.server.mock.KubernetesMockServer(false);
        server.start();
        // an expired token: every request is refused, the first one preflight makes included
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").andReturn(401,
                "{\"kind\":\"Status\",\"code\":401,\"message\":\"Unauthorized\"}").always();
        try (KubernetesClient client = server.createClient()) {
            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", "gold"))))
                    .hasMessage("Preflight found 1 problem(s):\n  - The Kubernetes API at " + client.getMasterUrl()
                            + " refused the kubeconfig's credentials (HTTP 401 Unauthorized): the login has expired or "
                            + "the token was revoked. Fix: log in again (oc login), or point KUBECONFIG at a kubeconfig "
                            + "with valid credentials.");
        } finally {
            server.destroy();
        }
    }

    @Test
    void aMissingKubeconfigIsNamedBeforeAnyRequest() {
        Path missing = dir.resolve("kubeconfig");
        Path home = dir.resolve("home");

        assertThatThrownBy(() -> Kubeconfig.locate(Map.of("KUBECONFIG", missing.toString()), home,
                dir.resolve("no-token"))).hasMessage("No kubeconfig: KUBECONFIG is [" + missing + "], and that file "
                        + "does not exist. Fix: point KUBECONFIG at your cluster's kubeconfig (oc login writes "
                        + "~/.kube/config), or leave out -Dpool to run on the embedded cluster.");
        assertThatThrownBy(() -> Kubeconfig.locate(Map.of(), home, dir.resolve("no-token"))).hasMessage("No "
                + "kubeconfig: KUBECONFIG is not set, [" + home.resolve(".kube/config") + "] does not exist, and this is "
                + "not a pod with a service account. Fix: log in (oc login writes " + home.resolve(".kube/config")
                + ") or set KUBECONFIG, or leave out -Dpool to run on the embedded cluster.");
    }

    @Test
    void aClusterWithoutKubeVirtIsNamed() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(Fault.NO_KUBEVIRT));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora"))))
                    .hasMessage("Preflight found 1 problem(s):\n  - virtualmachines.kubevirt.io/v1 is not served, so "
                            + "KubeVirt is not installed (or too old). Fix: install OpenShift Virtualization / KubeVirt, "
                            + "or point KUBECONFIG at a cluster that has it.");
        }
    }

    @Test
    void aMissingNamespaceThatMayNotBeCreatedIsNamed() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222,
                List.of(Fault.NAMESPACE_FORBIDDEN));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora", "vmbench.namespace", "storage-qa"))))
                    .hasMessage("Preflight found 1 problem(s):\n  - Namespace [storage-qa] does not exist and this "
                            + "identity may not create it. Fix: create it (oc new-project storage-qa) or set "
                            + "-Dvmbench.namespace to one you may use.");
        }
    }

    @Test
    void anUnreachableApiSaysToCheckTheKubeconfig() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client
                .ConfigBuilder().withMasterUrl("http://127.0.0.1:" + closedPort).withRequestRetryBackoffLimit(0)
                .build()).build()) {
            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", "gold"))))
                    .hasMessageStartingWith("Preflight found 1 problem(s):\n  - The Kubernetes API at http://127.0.0.1:"
                            + closedPort + "/ did not answer: ConnectException: Connection refused")
                    .hasMessageEndingWith(". Fix: check the kubeconfig (KUBECONFIG) and that you are logged in.");
        }
    }

    @Test
    void everyProblemIsListedWithItsFix() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222,
                List.of(Fault.FORBIDDEN_PORTFORWARD));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", "gold,embedded-local",
                    "vmbench.dataSource", "images/rhel9"))))
                    .isInstanceOf(ProvisioningException.class)
                    .hasMessage(String.join("\n",
                            "Preflight found 3 problem(s):",
                            "  - This identity lacks 1 permission(s) in namespace vmbench: get "
                                    + "subresources.kubevirt.io/virtualmachineinstances/portforward. Fix: apply the Role "
                                    + "vmbench of docs/vmbench-role.yaml there and bind it to the identity (docs/rbac.md).",
                            "  - StorageClass [gold] does not exist; the cluster has [embedded-local]. Fix: pass one of "
                                    + "them with -Dpool=<name>.",
                            "  - DataSource [images/rhel9] does not exist. Fix: set -Dvmbench.dataSource=NAMESPACE/NAME "
                                    + "to a DataSource of a cloud image with cloud-init (e.g. "
                                    + "openshift-virtualization-os-images/fedora)."));
        }
    }

    /** Every documented rule, one at a time. */
    static java.util.stream.Stream<Permissions.Rule> everyDocumentedRule() {
        return java.util.stream.Stream.of(Permissions.REQUIRED, Permissions.DATA_SOURCE, Permissions.CLUSTER)
                .flatMap(List::stream);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("everyDocumentedRule")
    void aClusterThatWithholdsOneDocumentedRuleIsRefusedNamingItsVerbsAndResource(Permissions.Rule withheld) {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(),
                Optional.of(withheld));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            String resource = (withheld.group().isEmpty() ? "" : withheld.group() + "/") + withheld.resourceName();

            assertThatThrownBy(() -> Preflight.check(client, config(Map.of("pool", EmbeddedCluster.STORAGE_CLASS,
                    "vmbench.dataSource", "images/fedora"))))
                    .hasMessageContaining("This identity lacks " + withheld.verbs().size() + " permission(s) ")
                    .hasMessageContaining(String.join(", ", withheld.verbs().stream().map(v -> v + " " + resource)
                            .toList()) + ". Fix: apply the ");
        }
    }

    @Test
    void thePodBaselinesOwnRoleIsCheckedWhenItRunsAndNamed() {
        Permissions.Rule exec = Permissions.POD_BASELINE.stream().filter(r -> r.subresource().equals("exec"))
                .findFirst().orElseThrow();
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(),
                Optional.of(exec));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            // the gate's preflight does not ask for it: a gate runs no pods
            org.assertj.core.api.Assertions.assertThatCode(() -> Preflight.check(client, config(Map.of("pool",
                    EmbeddedCluster.STORAGE_CLASS, "vmbench.dataSource", "images/fedora")))).doesNotThrowAnyException();
            assertThatThrownBy(() -> Preflight.checkPodBaseline(client, "vmbench")).hasMessage("Preflight of the pod "
                    + "baseline found 1 problem(s):\n  - This identity lacks 2 permission(s) in namespace vmbench for "
                    + "the pod baseline: create pods/exec, get pods/exec. Fix: apply the Role vmbench-pod-baseline of "
                    + "docs/vmbench-role.yaml there and bind it to the identity (docs/rbac.md).");
        }
    }

    @Test
    void theEmbeddedApiServerRefusesWhatTheRoleDoesNotGrantInKubernetesWords() {
        Permissions.Rule logs = Permissions.REQUIRED.stream().filter(r -> r.subresource().equals("log")).findFirst()
                .orElseThrow();
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(),
                Optional.of(logs));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            assertThatThrownBy(() -> client.pods().inNamespace("vmbench").withName("virt-launcher-x").getLog())
                    .hasMessageContaining("pods \"virt-launcher-x\" is forbidden: User "
                            + "\"system:serviceaccount:vmbench:runner\" cannot get resource \"pods/log\" in API group "
                            + "\"\" in the namespace \"vmbench\"");
        }
    }
}
