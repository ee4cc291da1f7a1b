package dev.rwkvedge.format;

import dev.rwkvedge.format.container.ContainerFormatProvider;
import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.format.safetensors.SafetensorsFormatProvider;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * pth → rwkv-edge container → safetensors → rwkv.cpp .bin: the last file must hold the original canonical tensors.
 *
 * <p>Only the safetensors step changes values: it stores BlinkDL values, recovered with the inverses
 * d = log(−w) (v4 decay), d = log(−log w) (v5 decay) and f = log u (v5.1 time_first), each computed in double and
 * rounded once to float32 (relative error ≤ 2⁻²⁴ in d); reading applies the forward transform again. Propagated:
 * v4 decay |Δw/w| ≤ (|d| + 2)·2⁻²⁴; v5 decay |Δw/w| ≤ (L·|d| + 2)·2⁻²⁴ with L = −ln w; v5.1 first
 * |Δu/u| ≤ (|f| + 2)·2⁻²⁴. Everything else must be bit-exact. (Measured on the fixtures: exact everywhere.)
 */
class RoundTripTest {
    private static final double EPS = 0x1p-24;
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    static TensorComparison.Tolerance inverseTolerance(RwkvVersion v) {
        return (name, e, a) -> {
            double rel;
            if (name.endsWith("att.time_decay") && v == RwkvVersion.V4) {
                rel = (Math.abs(Math.log(-e)) + 2) * EPS;
            } else if (name.endsWith("att.time_decay") && (v == RwkvVersion.V5_1 || v == RwkvVersion.V5_2)) {
                double l = -Math.log(e);
                rel = (l * Math.abs(Math.log(l)) + 2) * EPS;
            } else if (name.endsWith("att.time_first") && v == RwkvVersion.V5_1) {
                rel = (Math.abs(Math.log(e)) + 2) * EPS;
            } else {
                return TensorComparison.EXACT.accepts(name, e, a);
            }
            return Math.abs((double) a - e) <= rel * Math.abs(e) + Math.ulp(e);
        };
    }

    /** Runs the chain and returns the final .bin. */
    private Path chain(Path pth, WriteOptions last) throws IOException {
        Path container = dir.resolve("m.rwkv-edge");
        Path st = dir.resolve("m.safetensors");
        Path bin = dir.resolve("m.bin");
        try (ModelWeights w = new PthFormatProvider().open(pth)) {
            new ContainerFormatProvider().write(w, container, WriteOptions.keep());
        }
        try (ModelWeights c = new ContainerFormatProvider().open(container)) {
            new SafetensorsFormatProvider().write(c, st, WriteOptions.keep());
        }
        try (ModelWeights s = new SafetensorsFormatProvider().open(st)) {
            new RwkvCppFormatProvider().write(s, bin, last);
        }
        return bin;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void fp32ChainReproducesTheReference(String v) throws Exception {
        Path bin = chain(ReferenceModels.pth(v, "fp32"), WriteOptions.keep());
        try (ModelWeights ref = ReferenceModels.reference(v); ModelWeights out = new RwkvCppFormatProvider().open(bin)) {
            System.out.println("round trip " + v + " fp32: " + TensorComparison.assertSameTensors(ref, out,
                    inverseTolerance(RwkvVersion.detect(ref.names()))));
        }
    }

    @ParameterizedTest
    @MethodSource("versions")
    void bf16ChainReproducesTheCheckpoint(String v) throws Exception {
        Path pth = ReferenceModels.pth(v, "bf16");
        Path bin = chain(pth, WriteOptions.keep());
        try (ModelWeights original = new PthFormatProvider().open(pth);
             ModelWeights out = new RwkvCppFormatProvider().open(bin)) {
            System.out.println("round trip " + v + " bf16: " + TensorComparison.assertSameTensors(original, out,
                    inverseTolerance(RwkvVersion.detect(original.names()))));
        }
    }

    /** Converting to F16 at the end gives exactly rwkv.cpp's FP16 file (types by the FP16 rule, same bits). */
    @Test
    void f16AtTheEndGivesRwkvCppsFp16File() throws Exception {
        Path bin = chain(ReferenceModels.pth("7v0", "fp32"), new WriteOptions(DType.F16));
        try (ModelWeights fixture = new RwkvCppFormatProvider().open(ReferenceModels.bin("7v0", "FP16"));
             ModelWeights out = new RwkvCppFormatProvider().open(bin)) {
            for (Tensor t : fixture.tensors()) {
                Tensor o = out.get(t.name());
                assertEquals(t.dtype(), o.dtype(), t.name());
                assertEquals(-1, t.data().mismatch(o.data()), t.name());
            }
        }
    }
}
