package dev.rwkvedge.compress.cluster;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KL distillation of the cluster head on targets a known K × D head produces. */
class ClusterHeadTrainerTest {
    static final int K = 6;
    static final int D = 10;
    static final int N = 800;

    @Test
    void adamLowersTheKlTowardsATeacherAndIsDeterministic() {
        SplittableRandom r = new SplittableRandom(4);
        float[] teacherW = new float[K * D];
        for (int i = 0; i < teacherW.length; i++) {
            teacherW[i] = (float) r.nextGaussian();
        }
        ClusterHeadTrainer teacher = new ClusterHeadTrainer(teacherW, new float[K]);
        float[] x = new float[N * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] q = new float[N * K];
        double[] p = new double[K];
        for (int n = 0; n < N; n++) {
            teacher.probabilities(x, n * D, p);
            for (int c = 0; c < K; c++) {
                q[n * K + c] = (float) p[c];
            }
        }
        ClusterHeadTrainer a = new ClusterHeadTrainer(new float[K * D], new float[K]);
        ClusterHeadTrainer b = new ClusterHeadTrainer(new float[K * D], new float[K]);
        double before = a.meanKl(x, q, 0, N);
        a.train(x, q, N, 30, 0.05, new SplittableRandom(1));
        b.train(x, q, N, 30, 0.05, new SplittableRandom(1));
        double after = a.meanKl(x, q, 0, N);
        assertTrue(after < 0.05 * before, "KL " + before + " → " + after);
        assertArrayEquals(a.weights(), b.weights(), 0f, "same seed, same H1");
    }
}
