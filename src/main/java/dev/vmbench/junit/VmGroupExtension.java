package dev.vmbench.junit;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.gate.Baseline;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.Thresholds;
import dev.vmbench.report.AllureReport;
import java.lang.reflect.Method;
import java.util.Optional;
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
 * class invocation), {@link Thresholds} and {@link Baseline}, labels each test with its parameters in the report, records its
 * outcome, and marks a group whose test failed so {@code cleanup=on-success} keeps it. Holds no state of its
 * own: everything lives in the Store through {@link BenchStore}.
 */
final class VmGroupExtension implements ParameterResolver, InvocationInterceptor, TestWatcher, ExecutionCondition {

    /**
     * Skips a permutation the selection leaves out, or that a resumed run already judged. The n-th invocation of
     * a {@link FioMatrixSource} test is the n-th permutation of the settings; the group is the test instance's.
     */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> invocation = BenchStore.lastSegment(context, "test-template-invocation");
        boolean matrixInvocation = invocation.isPresent() && context.getTestMethod()
                .map(m -> m.isAnnotationPresent(FioMatrixSource.class)).orElse(false);
        if (!matrixInvocation || context.getTestInstance().isEmpty()) {
            return ConditionEvaluationResult.enabled("not a permutation of the matrix");
        }
        Settings settings = BenchStore.settings(context);
        int index = Integer.parseInt(invocation.get().replace("#", "")) - 1;
        FioPermutation permutation = settings.permutations().get(index);
        VmGroupSpec spec = BenchStore.spec(context);
        return settings.skipped(spec, permutation).map(ConditionEvaluationResult::disabled)
                .orElse(ConditionEvaluationResult.enabled("selected and still to run"));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == VmGroup.class || type == Thresholds.class || type == Baseline.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() == Thresholds.class) {
            return BenchStore.settings(context).thresholds();
        }
        if (parameter.getParameter().getType() == Baseline.class) {
            return BenchStore.settings(context).baseline();
        }
        return BenchStore.group(context).group();
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        FioPermutation permutation = invocationContext.getArguments().stream()
                .filter(FioPermutation.class::isInstance).map(FioPermutation.class::cast).findFirst().orElse(null);
        if (permutation == null) {
            invocation.proceed();
            return;
        }
        VmGroupSpec spec = BenchStore.spec(context);
        AllureReport.parameters(spec, permutation, invocationContext.getArguments().stream().map(String::valueOf).toList());
        String outcome = "broken";
        try {
            invocation.proceed();
            outcome = "passed";
        } catch (AssertionError e) {
            outcome = "failed";
            throw e;
        } finally {
            BenchStore.settings(context).results().writeOutcome(spec, permutation, outcome);
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        BenchStore.existingGroup(context).ifPresent(GroupHandle::markFailed);
    }
}
