package dev.vmbench.cluster;

import static dev.vmbench.cluster.Untyped.map;
import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.status;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the cluster's KubeVirt can do, from its KubeVirt resource ({@code status.observedKubeVirtVersion},
 * {@code spec.configuration.developerConfiguration.featureGates}) and whether {@code snapshot.kubevirt.io/v1beta1} is
 * served: a capability the cluster lacks is skipped with the reason, not tried and broken by a raw HTTP error.
 * {@code snapshot.kubevirt.io/v1beta1} exists from KubeVirt 1.3; the {@code Snapshot} and {@code ExpandDisks} gates are
 * on by default from 1.9 (kubevirt {@code pkg/virt-config/featuregate/}); OpenShift Virtualization enables both.
 *
 * @param version the observed KubeVirt version, empty when it cannot be read
 * @param featureGates the gates the KubeVirt resource enables
 * @param snapshotsServed whether {@code snapshot.kubevirt.io/v1beta1} answers
 */
public record KubeVirtFeatures(Optional<String> version, List<String> featureGates, boolean snapshotsServed) {

    private static final Pattern SEMVER = Pattern.compile("v?(\\d+)\\.(\\d+).*");

    public KubeVirtFeatures {
        featureGates = List.copyOf(featureGates);
    }

    /** Reads them; what cannot be read (no permission, no resource) counts as unknown, never as off. */
    static KubeVirtFeatures read(KubernetesClient client, String namespace) {
        Optional<String> version = Optional.empty();
        List<String> gates = List.of();
        try {
            List<GenericKubernetesResource> kubevirts = client.genericKubernetesResources(KubeVirt.KUBEVIRT)
                    .inAnyNamespace().list().getItems();
            if (!kubevirts.isEmpty()) {
                GenericKubernetesResource kv = kubevirts.get(0);
                version = Optional.ofNullable(status(kv).get("observedKubeVirtVersion")).map(Object::toString);
                gates = strings(map(map(spec(kv).get("configuration")).get("developerConfiguration"))
                        .get("featureGates"));
            }
        } catch (KubernetesClientException e) {
            // unknown: the checks try, and say what the cluster answered
        }
        boolean served = true;
        try {
            KubeVirt.in(client, KubeVirt.VM_SNAPSHOT, namespace).list();
        } catch (KubernetesClientException e) {
            served = e.getCode() != 404;
        }
        return new KubeVirtFeatures(version, gates, served);
    }

    /** Why KubeVirt cannot snapshot VMs here, or empty. */
    public Optional<String> snapshotsUnavailable() {
        if (!snapshotsServed) {
            return Optional.of("the cluster does not serve snapshot.kubevirt.io/v1beta1 (KubeVirt " + version.orElse(
                    "of unknown version") + "; it is served from KubeVirt 1.3)");
        }
        return gateOff("Snapshot");
    }

    /** Why a running guest would not see its PVC grow here (KubeVirt's ExpandDisks gate), or empty. */
    public Optional<String> expansionUnavailable() {
        return gateOff("ExpandDisks");
    }

    /** The gate named is off: not enabled in the KubeVirt resource, on a version before it was on by default. */
    private Optional<String> gateOff(String gate) {
        if (featureGates.contains(gate) || version.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = SEMVER.matcher(version.get());
        if (!m.matches()) {
            return Optional.empty();
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major > 1 || major == 1 && minor >= 9) {
            return Optional.empty();
        }
        return Optional.of("KubeVirt " + version.get() + " has the " + gate + " feature gate off (on by default from "
                + "1.9; the KubeVirt resource's spec.configuration.developerConfiguration.featureGates enables "
                + featureGates + ")");
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }
}
