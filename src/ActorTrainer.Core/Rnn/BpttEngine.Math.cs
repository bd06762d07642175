using System.Numerics.Tensors;
using ActorTrainer.Core.Kernels;
using ActorTrainer.Core.Truncation;
using static ActorTrainer.Core.Kernels.Transpose;

namespace ActorTrainer.Core.Rnn;

// The forward and backward math of BpttEngine, side by side. Rows are (t, b) pairs in time-major
// order, r = t·B + b, so a (T·B×H) buffer is T blocks of B×H.
public sealed partial class BpttEngine
{
    /// <summary>
    /// Forward over T steps. hh ((T+1)×B×H) holds hPrev in slot 0; slots 1..T receive H_t.
    /// Exactly one of tokens (T×B) / xs (T×B×V) is non-empty.
    /// </summary>
    private void Forward(ReadOnlySpan<float> w, ReadOnlySpan<int> tokens, ReadOnlySpan<float> xs, int T, Span<float> hh)
    {
        ReadOnlySpan<float> Wxh = _shape.Wxh(w), Whh = _shape.Whh(w), Bh = _shape.Bh(w);
        int bh = B * H;
        Span<float> A = hh.Slice(bh, T * bh);                 // (T·B×H) A_t, then H_t = φ(A_t) in place

        // Whh^T (H×H) and Wxh^T (V×H), once per chunk: the step's product then streams Whh^T row by
        // row (No,No is the GEMM's fastest form for small B) and the one-hot gather reads a contiguous row.
        Span<float> WhhT = _whhT, WxhT = _wxhT;
        TransposeInto(Whh, H, H, WhhT);

        // Input term and bias for all steps at once (they do not depend on h): A = X·Wxh^T + Bh.
        for (int r = 0; r < T * B; r++) Bh.CopyTo(A.Slice(r * H, H));
        if (tokens.Length > 0)
        {
            TransposeInto(Wxh, H, V, WxhT);
            for (int r = 0; r < T * B; r++)                    // one-hot x: add column x of Wxh (= row x of Wxh^T)
            {
                Span<float> a = A.Slice(r * H, H);
                TensorPrimitives.Add(a, WxhT.Slice(tokens[r] * H, H), a);
            }
        }
        else Gemm.Sgemm(No, Yes, T * B, H, V, 1f, xs, V, Wxh, V, 1f, A, H);

        // The recurrence, step by step: A_t += hPrev·Whh^T; H_t = φ(A_t).
        for (int t = 0; t < T; t++)
        {
            Span<float> At = hh.Slice((t + 1) * bh, bh);       // (B×H)
            Gemm.Sgemm(No, No, B, H, H, 1f, hh.Slice(t * bh, bh), H, WhhT, H, 1f, At, H);
            Activations.Forward(Spec.Phi, At, At);
        }
    }

    /// <summary>dst (cols×rows) = src (rows×cols)^T, blocked so both sides stay in cache.</summary>
    private static void TransposeInto(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        const int blk = 32;
        for (int i0 = 0; i0 < rows; i0 += blk)
        for (int j0 = 0; j0 < cols; j0 += blk)
        {
            int i1 = Math.Min(rows, i0 + blk), j1 = Math.Min(cols, j0 + blk);
            for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++)
                dst[j * rows + i] = src[i * cols + j];
        }
    }

    /// <summary>Y (T·B×O) = Hs·Why^T + By, from Hs (T·B×H).</summary>
    private void Outputs(ReadOnlySpan<float> w, ReadOnlySpan<float> hs, int T, Span<float> Y)
    {
        ReadOnlySpan<float> Why = _shape.Why(w), By = _shape.By(w);
        int m = T * B;
        for (int r = 0; r < m; r++) By.CopyTo(Y.Slice(r * O, O));
        Gemm.Sgemm(No, Yes, m, O, H, 1f, hs, H, Why, H, 1f, Y, O);
    }

    /// <summary>
    /// Y = <see cref="Outputs"/>, then the SUM of the T·B per-step losses (double). With withGrad,
    /// also dY = ∂(mean loss)/∂Y = ∂(sum)/∂Y / (B·T) into _dY.
    /// </summary>
    private double OutputsAndLoss(ReadOnlySpan<float> w, ReadOnlySpan<float> hs, Chunk chunk, int T, bool withGrad)
    {
        int m = T * B;
        Span<float> Y = _y.AsSpan(0, m * O), dY = _dY.AsSpan(0, m * O);   // (T·B×O)
        Outputs(w, hs, T, Y);
        float scale = 1f / m;

        if (Spec.Loss == LossKind.SoftmaxCrossEntropy)       // L = −log softmax(y)[target]; ∂L/∂y = p − onehot
        {
            ReadOnlySpan<int> tokens = chunk.TargetTokens.AsSpan(0, m);
            return withGrad ? SoftmaxCrossEntropy.ForwardBackward(Y, m, O, tokens, scale, dY) : SoftmaxCrossEntropy.Loss(Y, m, O, tokens);
        }

        double loss = 0;                                      // L = ½‖y − target‖²; ∂L/∂y = y − target
        ReadOnlySpan<float> targets = chunk.TargetVectors.AsSpan(0, m * O);
        for (int r = 0; r < m; r++)
        {
            Span<float> d = dY.Slice(r * O, O);
            TensorPrimitives.Subtract(Y.Slice(r * O, O), targets.Slice(r * O, O), d);
            loss += 0.5 * TensorPrimitives.SumOfSquares<float>(d);
        }
        if (withGrad) TensorPrimitives.Multiply(dY, scale, dY);
        return loss;
    }

    /// <summary>
    /// Backward of the chunk (its stored steps s = S … S+T−1) and, where f(t) is before the chunk, into
    /// earlier stored steps. Needs _dY from <see cref="OutputsAndLoss"/>; overwrites grad.
    /// </summary>
    private void Backward(ReadOnlySpan<float> w, int T, Span<float> grad)
    {
        ReadOnlySpan<float> Why = _shape.Why(w);
        Span<float> dWxh = _shape.Wxh(grad), dWhh = _shape.Whh(grad), dBh = _shape.Bh(grad);
        Span<float> dWhy = _shape.Why(grad), dBy = _shape.By(grad);
        int bh = B * H, m = T * B, n = _s + T;
        ReadOnlySpan<float> hs = _hh.AsSpan((_s + 1) * bh, T * bh);   // (T·B×H) H_t of the chunk
        ReadOnlySpan<float> dY = _dY.AsSpan(0, m * O);                // (T·B×O)

        // into Why, By: y = Why·h + By
        Gemm.Sgemm(Yes, No, O, H, m, 1f, dY, O, hs, H, 0f, dWhy, H);  // dWhy = dY^T·Hs
        ColumnSums(dY, m, O, dBy);                                     // dBy = Σ_rows dY
        // into h from the outputs: dHs = dY·Why
        Gemm.Sgemm(No, No, m, H, O, 1f, dY, O, Why, H, 0f, _dHs.AsSpan(0, m * H), H);

        // through the recurrence: dA_s for every stored step s ≥ first, the one holding f(chunk start)
        // (f does not decrease, so no L_t of the chunk reaches further). When every L_t of the chunk
        // stops at the same step one δ carries them all; otherwise each origin carries its own.
        long start = Step;
        int first = (int)(F(start) - (start - _s));
        if (F(start) == F(start + T - 1)) RecurrentSingle(w, T, first);
        else RecurrentPerOrigin(w, T, first, start);

        // into Wxh, Whh, Bh: A_s = Wxh·x_s + Whh·h_{s−1} + Bh, summed over the steps reached
        int rows = (n - first) * B;
        ReadOnlySpan<float> dA = _dA.AsSpan(first * bh, rows * H);        // (rows×H)
        ReadOnlySpan<float> hPrevs = _hh.AsSpan(first * bh, rows * H);    // (rows×H) h_{s−1}
        Gemm.Sgemm(Yes, No, H, H, rows, 1f, dA, H, hPrevs, H, 0f, dWhh, H); // dWhh = dA^T·Hprev
        ColumnSums(dA, rows, H, dBh);                                        // dBh = Σ_rows dA
        if (_denseInputs)
            Gemm.Sgemm(Yes, No, H, V, rows, 1f, dA, H, _xVec.AsSpan(first * B * V, rows * V), V, 0f, dWxh, V); // dWxh = dA^T·X
        else
        {
            // one-hot x: dWxh column x += dA row; accumulated as rows of dWxh^T (V×H), then transposed.
            Span<float> dWxhT = _wxhT;
            dWxhT.Clear();
            ReadOnlySpan<int> tokens = _xTok.AsSpan(first * B, rows);
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = dWxhT.Slice(tokens[r] * H, H);
                TensorPrimitives.Add(row, dA.Slice(r * H, H), row);
            }
            TransposeInto(dWxhT, V, H, dWxh);
        }
    }

    /// <summary>
    /// f(t) the same for every L_t of the chunk (Full; an aligned Subsequence chunk): one δ carries every
    /// L_t's gradient down to stored step first. Writes dA_s for s = first … S+T−1.
    /// </summary>
    private void RecurrentSingle(ReadOnlySpan<float> w, int T, int first)
    {
        ReadOnlySpan<float> Whh = _shape.Whh(w);
        int bh = B * H, n = _s + T;
        Span<float> dNext = _dNext;                            // (B×H) ∂loss/∂h_s arriving from step s+1
        for (int s = n - 1; s >= first; s--)
        {
            Span<float> dAs = _dA.AsSpan(s * bh, bh);           // (B×H)
            int t = s - _s;                                     // chunk step (< 0: a stored step, no loss there)
            if (s == n - 1) _dHs.AsSpan(t * bh, bh).CopyTo(dAs);
            else if (t >= 0) TensorPrimitives.Add(_dHs.AsSpan(t * bh, bh), dNext, dAs);  // dh = from y + from h_{s+1}
            else dNext.CopyTo(dAs);
            Activations.Backward(Spec.Phi, _hh.AsSpan((s + 1) * bh, bh), dAs, dAs); // through φ: dA = dh ⊙ φ'(A)
            if (s > first)                                      // into h_{s−1}: dNext = dA_s·Whh
                Gemm.Sgemm(No, No, B, H, H, 1f, dAs, H, Whh, H, 0f, dNext, H);
        }
    }

    /// <summary>
    /// f(t) varies within the chunk (KStep, f(t) = max(0, t−k); a Subsequence chunk across a boundary):
    /// each origin o (chunk step, all B streams) carries its own δ from step o down to f(o), possibly into
    /// the stored steps. Origin o's δ lives in block o of the (T×B×H) δ buffers; as f does not decrease,
    /// the origins active at step s are a contiguous range, so each step is one GEMM over its rows (KStep:
    /// at most (k+1)·B). Two buffers alternate (read one, write the other); both start as dHs, and a block
    /// is untouched until its origin becomes active. Writes dA_s = Σ_origins dA for s = first … S+T−1.
    /// </summary>
    private void RecurrentPerOrigin(ReadOnlySpan<float> w, int T, int first, long start)
    {
        ReadOnlySpan<float> Whh = _shape.Whh(w);
        int bh = B * H, n = _s + T;
        long stored0 = start - _s;                              // sequence step of stored step 0
        Span<float> cur = _dHs.AsSpan(0, T * bh);
        Span<float> next = (_dAlt ??= new float[MaxT * bh]).AsSpan(0, T * bh);   // (T×B×H) δ per origin
        cur.CopyTo(next);
        int hi = T - 1;
        for (int s = n - 1; s >= first; s--)
        {
            // origins o (chunk steps) whose δ is at step s: o ≥ s − S (started) and f(o) ≤ s (not yet stopped)
            int lo = Math.Max(0, s - _s);
            while (hi >= lo && F(start + hi) > stored0 + s) hi--;
            ReadOnlySpan<float> Hs = _hh.AsSpan((s + 1) * bh, bh);
            Span<float> dAs = _dA.AsSpan(s * bh, bh);           // (B×H) Σ over the active origins
            for (int o = lo; o <= hi; o++)
            {
                Span<float> d = cur.Slice(o * bh, bh);
                Activations.Backward(Spec.Phi, Hs, d, d);   // through φ, per origin
                if (o == lo) d.CopyTo(dAs);
                else TensorPrimitives.Add(dAs, d, dAs);
            }
            // into h_{s−1} for the origins that go on (f(o) ≤ s−1): δ_o ← dA_o·Whh
            int last = hi;
            while (last >= lo && F(start + last) > stored0 + s - 1) last--;
            if (s > first && last >= lo)
                Gemm.Sgemm(No, No, (last - lo + 1) * B, H, H, 1f, cur.Slice(lo * bh, (last - lo + 1) * bh), H, Whh, H,
                    0f, next.Slice(lo * bh, (last - lo + 1) * bh), H);
            Span<float> tmp = cur; cur = next; next = tmp;
        }
    }

    /// <summary>sums (n) = Σ_r m (rows×n) row r.</summary>
    private static void ColumnSums(ReadOnlySpan<float> m, int rows, int n, Span<float> sums)
    {
        sums.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, m.Slice(r * n, n), sums);
    }
}
