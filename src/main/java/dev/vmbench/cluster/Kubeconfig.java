package dev.vmbench.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where the run's cluster credentials come from, found the way kubectl and fabric8 look: {@code KUBECONFIG} (a
 * path list), else {@code ~/.kube/config}, else the service account of the pod the harness runs in. Checked
 * before any request, because a client with no kubeconfig falls back to {@code https://kubernetes.default.svc}
 * and retries for seconds before it fails with a message that names neither.
 */
public record Kubeconfig(String source) {

    static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    /** Where this process's credentials come from: its environment, its user's home, its pod's service account. */
    public static Kubeconfig locate() {
        return locate(System.getenv(), Path.of(System.getProperty("user.home")), SERVICE_ACCOUNT_TOKEN);
    }

    /**
     * @param env  the environment (KUBECONFIG)
     * @param home the user's home folder
     * @throws ProvisioningException naming every place looked at and the fix
     */
    public static Kubeconfig locate(Map<String, String> env, Path home, Path serviceAccountToken) {
        String variable = env.get("KUBECONFIG");
        if (variable != null && !variable.isBlank()) {
            List<String> paths = Arrays.stream(variable.split(File.pathSeparator)).filter(p -> !p.isBlank()).toList();
            List<String> present = paths.stream().filter(p -> Files.isRegularFile(Path.of(p))).toList();
            if (present.isEmpty()) {
                throw new ProvisioningException("No kubeconfig: KUBECONFIG is [" + variable + "], and "
                        + (paths.size() == 1 ? "that file does not exist" : "none of those files exists")
                        + ". Fix: point KUBECONFIG at your cluster's kubeconfig (oc login writes ~/.kube/config), or "
                        + "leave out -Dpool to run on the embedded cluster.");
            }
            return new Kubeconfig("KUBECONFIG " + String.join(File.pathSeparator, present));
        }
        Path config = home.resolve(".kube").resolve("config");
        if (Files.isRegularFile(config)) {
            return new Kubeconfig(config.toString());
        }
        if (Files.isRegularFile(serviceAccountToken)) {
            return new Kubeconfig("the pod's service account");
        }
        throw new ProvisioningException("No kubeconfig: KUBECONFIG is not set, [" + config + "] does not exist, and "
                + "this is not a pod with a service account. Fix: log in (oc login writes " + config + ") or set "
                + "KUBECONFIG, or leave out -Dpool to run on the embedded cluster.");
    }

    /** Where the credentials are, for messages: {@code /home/ci/.kube/config}. */
    @Override
    public String toString() {
        return source;
    }
}
