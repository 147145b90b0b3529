package dev.vmbench.junit;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.gate.Baseline;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.Thresholds;
import dev.vmbench.report.AllureReport;
import java.lang.reflect.Method;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * vmbench's extension (registered by {@link VmBenchmark}): resolves {@link VmGroup} (the live group of the
 * class invocation), {@link Thresholds}, {@link Baseline}, {@link QueueDepthSweep}, {@link DensitySearch}, {@link PodBaseline} and {@link StorageCapabilities}, labels each test with its parameters in the report, records its
 * outcome, and marks a group whose test failed so {@code cleanup=on-success} keeps it. Holds no state of its
 * own: everything lives in the Store through {@link BenchStore}.
 */
final class VmGroupExtension implements ParameterResolver, InvocationInterceptor, TestWatcher, ExecutionCondition,
        BeforeEachCallback, AfterEachCallback {

    /**
     * Skips a permutation the selection leaves out, or that a resumed run already judged. The n-th invocation of
     * a {@link FioMatrixSource} test is the n-th permutation of the settings; the group is the test instance's.
     */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<FioPermutation> permutation = permutation(context);
        if (permutation.isEmpty()) {
            // a queue-depth sweep or a density search creates VMs too: a dry run creates nothing
            boolean other = context.getTestMethod().filter(m -> !m.isAnnotationPresent(FioMatrixSource.class)).isPresent();
            return other && BenchStore.settings(context).config().dryRun()
                    ? ConditionEvaluationResult.disabled("dry run: nothing is created (vmbench.dryRun=true)")
                    : ConditionEvaluationResult.enabled("not a permutation of the matrix");
        }
        return BenchStore.settings(context).skipped(BenchStore.spec(context), permutation.get())
                .map(ConditionEvaluationResult::disabled)
                .orElse(ConditionEvaluationResult.enabled("selected and still to run"));
    }

    /**
     * The permutation a {@link FioMatrixSource} invocation runs: the n-th invocation is the n-th permutation of the
     * settings. Known before its parameters are resolved, so even a test whose group failed is named and recorded.
     */
    private static Optional<FioPermutation> permutation(ExtensionContext context) {
        Optional<String> invocation = BenchStore.lastSegment(context, "test-template-invocation");
        boolean matrixInvocation = invocation.isPresent() && context.getTestMethod()
                .map(m -> m.isAnnotationPresent(FioMatrixSource.class)).orElse(false);
        if (!matrixInvocation || context.getTestInstance().isEmpty()) {
            return Optional.empty();
        }
        int index = Integer.parseInt(invocation.get().replace("#", "")) - 1;
        return Optional.of(BenchStore.settings(context).permutations().get(index));
    }

    /**
     * Names the test and gives it its parameters in the report before anything can fail; once the run has reported
     * that its cluster cannot be reached, the test is aborted (not run) rather than failing the same way again.
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        permutation(context).ifPresent(p -> {
            AllureReport.name(BenchStore.spec(context), p);
            BenchStore.requireReachableCluster(context);
            Settings settings = BenchStore.settings(context);
            settings.progress().started(BenchStore.spec(context) + " · " + p, settings.fioTime(p));
        });
    }

    /**
     * After a permutation: its numbers become the test's description, with the cells that missed a threshold
     * highlighted; after the group's last permutation of this session — whatever ran before it — its charts are
     * drawn.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        permutation(context).ifPresent(p -> {
            Settings settings = BenchStore.settings(context);
            VmGroupSpec spec = BenchStore.spec(context);
            Optional<GroupHandle> group = BenchStore.existingGroup(context);
            group.flatMap(h -> h.run(p)).ifPresent(run -> {
                java.util.List<dev.vmbench.gate.FioRunAssert.Breach> breaches = dev.vmbench.gate.FioRunAssert.breaches(
                        run, settings.thresholds().of(spec, p));
                AllureReport.description(run, breaches.stream().map(b -> AllureReport.cell(b.vm(), b.job(),
                        b.direction(), b.metric())).collect(java.util.stream.Collectors.toSet()),
                        breaches.stream().map(dev.vmbench.gate.FioRunAssert.Breach::message).toList());
            });
            if (settings.lastToRun(spec).filter(p::equals).isPresent()) {
                group.ifPresent(GroupHandle::drawCharts);
            }
        });
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == VmGroup.class || type == Thresholds.class || type == Baseline.class
                || type == QueueDepthSweep.class || type == DensitySearch.class || type == PodBaseline.class
                || type == StorageCapabilities.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() == Thresholds.class) {
            return BenchStore.settings(context).thresholds();
        }
        if (parameter.getParameter().getType() == Baseline.class) {
            return BenchStore.settings(context).baseline();
        }
        if (parameter.getParameter().getType() == StorageCapabilities.class) {
            return BenchStore.capabilities(context);
        }
        if (parameter.getParameter().getType() == PodBaseline.class) {
            return BenchStore.podBaseline(context);
        }
        if (parameter.getParameter().getType() == DensitySearch.class) {
            return new DensitySearch(BenchStore.settings(context), BenchStore.spec(context),
                    () -> BenchStore.group(context).group());
        }
        if (parameter.getParameter().getType() == QueueDepthSweep.class) {
            return new QueueDepthSweep(BenchStore.settings(context), BenchStore.spec(context));
        }
        return BenchStore.group(context).group();
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        if (permutation(context).isPresent()) {
            AllureReport.hideArguments(invocationContext.getArguments().stream().map(String::valueOf).toList());
        }
        invocation.proceed();
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, "passed", null);
    }

    /** A missed gate ({@link AssertionError}) is failed; anything else — cluster, guest, harness — is broken. */
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        BenchStore.existingGroup(context).ifPresent(GroupHandle::markFailed);
        record(context, cause instanceof AssertionError ? "failed" : "broken", String.valueOf(cause.getMessage()));
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, "skipped", String.valueOf(cause.getMessage()));
    }

    private static void record(ExtensionContext context, String outcome, String why) {
        permutation(context).ifPresent(p -> {
            Settings settings = BenchStore.settings(context);
            VmGroupSpec spec = BenchStore.spec(context);
            settings.results().writeOutcome(spec, p, outcome, why);
            String headline = settings.results().headline(spec, p).orElse(why == null ? "" : why.lines().findFirst()
                    .map(l -> l.length() > 160 ? l.substring(0, 160) + "…" : l).orElse(""));
            settings.progress().finished(spec + " · " + p, outcome, headline, settings.fioTime(p));
        });
    }
}
