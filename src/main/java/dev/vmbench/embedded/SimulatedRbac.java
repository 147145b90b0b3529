package dev.vmbench.embedded;

import dev.vmbench.cluster.Permissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * RBAC for the run's identity on the embedded cluster: it holds exactly the documented rules
 * ({@link Permissions}: the Role in every namespace it works in, the DataSource Role in the DataSource's
 * namespace, the ClusterRole at cluster scope), so a call the code makes that the documentation does not grant
 * is refused here as a real API server refuses it (kubernetes {@code plugin/pkg/auth/authorizer/rbac/rbac.go},
 * request attributes from {@code staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go}).
 */
final class SimulatedRbac {

    /** A fresh random bearer token: each embedded cluster gives its run and its simulator one of their own. */
    static String newToken() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    static final String RUN_USER = "system:serviceaccount:vmbench:runner";

    /** One grant: a rule, and where it holds (a namespace, any namespace, or the cluster scope). */
    record Grant(Permissions.Rule rule, Scope scope, String namespace) {
    }

    enum Scope { ANY_NAMESPACE, NAMESPACE, CLUSTER }

    /** What a request asks to do, as the API server's request info sees it. */
    record Attributes(String verb, String group, String resource, String subresource, String namespace, String name) {
        String resourceName() {
            return subresource.isEmpty() ? resource : resource + "/" + subresource;
        }
    }

    private final List<Grant> grants;

    SimulatedRbac(List<Grant> grants) {
        this.grants = List.copyOf(grants);
    }

    /** The documented rules, less what the faults take away. */
    static SimulatedRbac documented(String dataSourceNamespace, List<Fault> faults) {
        List<Grant> grants = new ArrayList<>();
        List<Permissions.Rule> namespaced = new ArrayList<>(Permissions.REQUIRED);
        namespaced.addAll(Permissions.POD_CONNECTOR);
        namespaced.addAll(Permissions.POD_BASELINE);
        namespaced.addAll(Permissions.CAPABILITIES);
        for (Permissions.Rule rule : namespaced) {
            if (faults.contains(Fault.FORBIDDEN_PORTFORWARD) && rule.subresource().equals("portforward")
                    && rule.resource().equals("virtualmachineinstances")) {
                continue;
            }
            grants.add(new Grant(rule, Scope.ANY_NAMESPACE, null));
        }
        Permissions.DATA_SOURCE.forEach(rule -> grants.add(new Grant(rule, Scope.NAMESPACE, dataSourceNamespace)));
        Permissions.CLUSTER.forEach(rule -> grants.add(new Grant(rule, Scope.CLUSTER, null)));
        Permissions.CAPABILITIES_CLUSTER.forEach(rule -> grants.add(new Grant(rule, Scope.CLUSTER, null)));
        if (!faults.contains(Fault.NAMESPACE_FORBIDDEN)) {
            grants.add(new Grant(Permissions.CREATE_NAMESPACE, Scope.CLUSTER, null));
        }
        return new SimulatedRbac(grants);
    }

    /**
     * The same grants without {@code rule}: what a Role missing that rule gives. Rules of the same resource go too
     * (the pod baseline's pods rule covers diagnostics' pods list), so the rule's verbs are really withheld.
     */
    SimulatedRbac without(Permissions.Rule rule) {
        return new SimulatedRbac(grants.stream().filter(g -> !(g.rule().group().equals(rule.group())
                && g.rule().resource().equals(rule.resource()) && g.rule().subresource().equals(rule.subresource())))
                .toList());
    }

    boolean allows(Attributes a) {
        for (Grant g : grants) {
            Permissions.Rule r = g.rule();
            boolean where = switch (g.scope()) {
                case ANY_NAMESPACE -> a.namespace() != null;
                case NAMESPACE -> g.namespace().equals(a.namespace());
                case CLUSTER -> true;
            };
            if (where && r.group().equals(a.group()) && r.resource().equals(a.resource())
                    && r.subresource().equals(a.subresource()) && r.verbs().contains(a.verb())) {
                return true;
            }
        }
        return false;
    }

    /** The API server's words for a refusal (kubernetes {@code authorizer} forbidden message). */
    static String forbidden(Attributes a) {
        String object = a.resource() + (a.group().isEmpty() ? "" : "." + a.group())
                + (a.name().isEmpty() ? "" : " \"" + a.name() + "\"");
        return object + " is forbidden: User \"" + RUN_USER + "\" cannot " + a.verb() + " resource \""
                + a.resourceName() + "\" in API group \"" + a.group() + "\""
                + (a.namespace() == null ? " at the cluster scope" : " in the namespace \"" + a.namespace() + "\"");
    }

    /**
     * The request's attributes, or empty for what every authenticated user may do (discovery, version, access
     * reviews about oneself).
     */
    static Optional<Attributes> of(String method, String pathAndQuery) {
        String path = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
        String query = pathAndQuery.contains("?") ? pathAndQuery.substring(pathAndQuery.indexOf('?') + 1) : "";
        String[] parts = path.replaceAll("^/+|/+$", "").split("/");
        String group;
        int at;
        if (parts.length >= 2 && parts[0].equals("api")) {
            group = "";
            at = 2;
        } else if (parts.length >= 3 && parts[0].equals("apis")) {
            group = parts[1];
            at = 3;
        } else {
            return Optional.empty();
        }
        if (parts.length <= at || group.equals("authorization.k8s.io")) {
            return Optional.empty();
        }
        String namespace = null;
        String resource;
        String name = "";
        String sub = "";
        if (parts[at].equals("namespaces") && parts.length > at + 2) {
            namespace = parts[at + 1];
            resource = parts[at + 2];
            name = parts.length > at + 3 ? parts[at + 3] : "";
            sub = parts.length > at + 4 ? parts[at + 4] : "";
        } else {
            resource = parts[at];
            name = parts.length > at + 1 ? parts[at + 1] : "";
            sub = parts.length > at + 2 ? parts[at + 2] : "";
            if (resource.equals("namespaces") && !name.isEmpty()) {
                namespace = name; // a request on a namespace object is checked in that namespace
            }
        }
        boolean watch = query.contains("watch=true") || query.contains("watch=1");
        String verb = switch (method.toUpperCase(Locale.ROOT)) {
            case "GET", "HEAD" -> watch ? "watch" : name.isEmpty() ? "list" : "get";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name.isEmpty() ? "deletecollection" : "delete";
            default -> method.toLowerCase(Locale.ROOT);
        };
        return Optional.of(new Attributes(verb, group, resource, sub, namespace, name));
    }
}
