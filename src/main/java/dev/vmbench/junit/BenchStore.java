package dev.vmbench.junit;

import dev.vmbench.matrix.VmGroupSpec;
import java.lang.reflect.Field;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterResolutionException;

/**
 * The one place that touches the JUnit Store. Run-wide state lives in the root store (settings first, then
 * the connection, so the connection closes before the settings); each group lives in the store of its class
 * invocation, so it is provisioned on first use, shared by every test of the invocation, and closed when the
 * invocation ends — before the connection it needs.
 */
final class BenchStore {

    private static final Namespace NAMESPACE = Namespace.create("dev.vmbench");
    private static final String CLASS_INVOCATION = "class-template-invocation";

    private BenchStore() {
    }

    static Settings settings(ExtensionContext context) {
        ExtensionContext root = context.getRoot();
        return root.getStore(NAMESPACE).computeIfAbsent(SettingsAttempt.class, k -> SettingsAttempt.load(root),
                SettingsAttempt.class).settings();
    }

    /**
     * The run's settings, read once: a run that cannot start (bad settings, nothing selected) fails every class with
     * the same error instead of reading them again (and recording another run) for each.
     */
    private record SettingsAttempt(Settings loaded, RuntimeException failure) implements AutoCloseable {

        static SettingsAttempt load(ExtensionContext root) {
            try {
                return new SettingsAttempt(Settings.load(root), null);
            } catch (RuntimeException e) {
                return new SettingsAttempt(null, e);
            }
        }

        Settings settings() {
            if (failure != null) {
                throw failure;
            }
            return loaded;
        }

        @Override
        public void close() {
            if (loaded != null) {
                loaded.close();
            }
        }
    }

    /** The run's connection, opened on first use; a failure to connect is kept, so it is tried once per run. */
    static Connection connection(ExtensionContext context) {
        Settings settings = settings(context);
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(ConnectionAttempt.class, k -> ConnectionAttempt.make(settings), ConnectionAttempt.class)
                .connection();
    }

    /**
     * Aborts (does not run) a test once the run's one attempt to reach its cluster has failed and been reported by
     * an earlier test.
     */
    static void requireReachableCluster(ExtensionContext context) {
        ConnectionAttempt attempt = context.getRoot().getStore(NAMESPACE).get(ConnectionAttempt.class,
                ConnectionAttempt.class);
        if (attempt != null) {
            attempt.requireReported();
        }
    }

    /** The group of the test's class invocation, provisioning it on first use. */
    static GroupHandle group(ExtensionContext context) {
        ExtensionContext invocation = classInvocation(context).orElseThrow(() -> new ParameterResolutionException(
                "A VmGroup parameter belongs to a VM group: annotate " + context.getRequiredTestClass().getName()
                        + " with @ParameterizedClass and @VmGroupSource."));
        VmGroupSpec spec = spec(context);
        // a density group starts with one VM and grows as its search needs
        int vms = context.getRequiredTestClass().isAnnotationPresent(DensityGroupSource.class) ? 1 : spec.concurrency();
        return invocation.getStore(NAMESPACE).computeIfAbsent(spec,
                s -> GroupHandle.provision(s, vms, settings(context), () -> connection(context)), GroupHandle.class);
    }

    /** The pod baseline of the test's class invocation, started on first use and deleted with it. */
    static PodBaseline podBaseline(ExtensionContext context) {
        ExtensionContext invocation = classInvocation(context).orElseThrow(() -> new ParameterResolutionException(
                "A PodBaseline parameter belongs to a VM group: annotate " + context.getRequiredTestClass().getName()
                        + " with @ParameterizedClass and @VmGroupSource."));
        VmGroupSpec spec = spec(context);
        return invocation.getStore(NAMESPACE).computeIfAbsent("pod baseline " + spec.hash(),
                k -> PodBaseline.start(settings(context), spec, () -> connection(context)), PodBaseline.class);
    }

    /** The capability checks of the test's class invocation; its group is provisioned by the first check. */
    static StorageCapabilities capabilities(ExtensionContext context) {
        ExtensionContext invocation = classInvocation(context).orElseThrow(() -> new ParameterResolutionException(
                "A StorageCapabilities parameter belongs to a VM group: annotate " + context.getRequiredTestClass()
                        .getName() + " with @ParameterizedClass and @CapabilityGroupSource."));
        VmGroupSpec spec = spec(context);
        return invocation.getStore(NAMESPACE).computeIfAbsent("capabilities " + spec.hash(),
                k -> new StorageCapabilities(settings(context), spec, () -> group(context).group()),
                StorageCapabilities.class);
    }

    /** The group if its invocation has provisioned one (never provisions). */
    static Optional<GroupHandle> existingGroup(ExtensionContext context) {
        return classInvocation(context).flatMap(invocation -> specIfAny(context)
                .map(spec -> invocation.getStore(NAMESPACE).get(spec, GroupHandle.class)));
    }

    static VmGroupSpec spec(ExtensionContext context) {
        return specIfAny(context).orElseThrow(() -> new ParameterResolutionException(
                "A VmGroup parameter needs the VM group of its class invocation: declare `@Parameter VmGroupSpec "
                        + "group;` in " + context.getRequiredTestClass().getName() + "."));
    }

    private static Optional<VmGroupSpec> specIfAny(ExtensionContext context) {
        Optional<Object> instance = context.getTestInstance();
        for (Class<?> c = context.getRequiredTestClass(); instance.isPresent() && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (field.getType() == VmGroupSpec.class) {
                    try {
                        field.setAccessible(true);
                        return Optional.ofNullable((VmGroupSpec) field.get(instance.get()));
                    } catch (IllegalAccessException e) {
                        throw new ParameterResolutionException("Cannot read field " + field, e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<ExtensionContext> classInvocation(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            if (lastSegment(c.get(), CLASS_INVOCATION).isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    /**
     * The value of the context's own unique-id segment if it is of {@code type}: {@code #3} for
     * {@code [test-template-invocation:#3]}. Invocation contexts say which invocation they are only there.
     */
    static Optional<String> lastSegment(ExtensionContext context, String type) {
        String id = context.getUniqueId();
        String last = id.substring(id.lastIndexOf("/[") + 2, id.length() - 1);
        return last.startsWith(type + ":") ? Optional.of(last.substring(type.length() + 1)) : Optional.empty();
    }
}
