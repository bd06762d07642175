using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Rnn;

/// <summary>
/// The fast float forward/backward over chunks of B streams (llm.c style: one GEMM per step for the
/// recurrence, one GEMM over all T·B rows for everything else).
/// One engine per worker; owns all workspace buffers (no allocation per step or per chunk);
/// not thread-safe.
/// </summary>
/// <remarks>
/// Legend: V input size, H hidden, O output, B streams, T steps in the chunk, k truncation depth,
/// S steps stored from earlier chunks: those a later gradient may still reach, from f(t) on at the
/// chunk's start t (0 for aligned Subsequence chunks, ≤ k for KStep, all since <see cref="ResetHistory"/>
/// for Full). Every truncation decision asks the scheme's f(t); none depends on its type.
/// <para>
/// History and chunk share buffers indexed by "stored step" s ∈ [0, S+T): the S stored steps first,
/// then the chunk's T steps. Slot s of <c>hh</c> holds the h entering step s and slot s+1 holds H_s,
/// so Hprev (rows of slots 0..n−1) and Hs (rows of slots 1..n) are both contiguous without a copy.
/// φ' is taken from H (tanh 1−h², relu h&gt;0), so pre-activations are not kept.
/// </para>
/// <para>
/// Buffers are allocated in the constructor; they grow only while a stored history first fills (doubling;
/// a Full history bounded by <see cref="MaxHistoryFloats"/>), once for dense inputs the first time a
/// dense chunk arrives, and once for per-origin deltas if f(t) first varies within a chunk later in a run.
/// </para>
/// </remarks>
public sealed partial class BpttEngine
{
    /// <summary>Default bound on the floats the stored history may hold (512 MiB).</summary>
    public const long DefaultMaxHistoryFloats = 1L << 27;

    public ModelSpec Spec { get; }
    public TruncationScheme Scheme { get; }
    public int B { get; }
    public int MaxT { get; }

    /// <summary>Steps run through <see cref="ForwardBackward"/> since the last <see cref="ResetHistory"/>:
    /// the sequence step t of the next chunk's first step.</summary>
    public long Step { get; private set; }

    /// <summary>Steps of earlier chunks the gradient can currently reach back into (S).</summary>
    public int StoredSteps => _s;

    /// <summary>Bound on the floats held by the stored history (hidden states, their deltas and dense
    /// inputs); a Full history that would exceed it throws <see cref="InvalidOperationException"/>.</summary>
    public long MaxHistoryFloats
    {
        get => _maxHistoryFloats;
        set => _maxHistoryFloats = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxHistoryFloats must be positive.");
    }
    private long _maxHistoryFloats = DefaultMaxHistoryFloats;

    private readonly ModelShape _shape;
    private readonly int V, H, O;

    private int _cap;                     // steps the shared history+chunk buffers hold
    private int _s;                       // S: stored steps before the current chunk
    private float[] _hh;                  // ((cap+1)×B×H) slot s = h entering step s, slot s+1 = H_s
    private float[] _dA;                  // (cap×B×H) ∂loss/∂A_s
    private int[] _xTok;                  // (cap×B) token inputs
    private float[]? _xVec;               // (cap×B×V) dense inputs, allocated for the first dense chunk
    private bool _denseInputs;            // kind of the stored steps' inputs

    private readonly float[] _y;          // (MaxT×B×O) outputs Y
    private readonly float[] _dY;         // (MaxT×B×O) ∂loss/∂Y (scratch in evaluation)
    private readonly float[] _dHs;        // (MaxT×B×H) ∂loss/∂H_t from the outputs only
    private float[]? _dAlt;               // (MaxT×B×H) second buffer of per-origin deltas, once f(t) varies in a chunk
    private readonly float[] _dNext;      // (B×H) one δ: ∂loss/∂h_{s−1} from step s
    private readonly float[] _evalHH;     // ((MaxT+1)×B×H) ForwardLoss's own states
    private readonly float[] _whhT;       // (H×H) Whh^T of the current chunk's W
    private readonly float[] _wxhT;       // (V×H) Wxh^T in the forward, dWxh^T in the backward (token inputs)

    public BpttEngine(ModelSpec spec, TruncationScheme scheme, int batch, int maxChunk)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(scheme);
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "B must be positive.");
        if (maxChunk <= 0) throw new ArgumentOutOfRangeException(nameof(maxChunk), maxChunk, "MaxT must be positive.");
        Spec = spec; Scheme = scheme; B = batch; MaxT = maxChunk;
        _shape = spec.Shape; V = _shape.V; H = _shape.H; O = _shape.O;

        // A chunk and the steps a chunk from step MaxT may reach back to (Subsequence(k = MaxT): none; Full: MaxT);
        // a longer history grows it. Per-origin deltas up front if f varies within the first chunks.
        _cap = maxChunk + (int)(maxChunk - F(maxChunk));
        int bh = batch * H, bo = batch * O;
        _hh = new float[(_cap + 1) * bh];
        _dA = new float[_cap * bh];
        _xTok = new int[_cap * batch];
        _y = new float[maxChunk * bo];
        _dY = new float[maxChunk * bo];
        _dHs = new float[maxChunk * bh];
        if (F(0) != F(maxChunk - 1) || F(maxChunk) != F(2L * maxChunk - 1)) _dAlt = new float[maxChunk * bh];
        _dNext = new float[bh];
        _evalHH = new float[(maxChunk + 1) * bh];
        _whhT = new float[H * H];
        _wxhT = new float[V * H];
    }

    /// <summary>
    /// Runs the chunk forward from hPrev (B×H, overwritten with the chunk's last h), then backward
    /// according to the scheme's f(t), where t counts steps since the last <see cref="ResetHistory"/>:
    /// the gradient of each L_t reaches back to step f(t), into earlier chunks' stored steps when f(t) is
    /// before the chunk (evaluated with the activations stored then); h entering step f(t) is a constant.
    /// Writes into grad (length Spec.Shape.Count, overwritten) the gradient of the MEAN loss over
    /// the chunk's B·T predictions; returns that mean loss.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, a chunk of another B, T outside [1, MaxT], missing
    /// inputs/targets for the loss, a token outside [0, V) or a target outside [0, O).</exception>
    /// <exception cref="InvalidOperationException">With stored steps: hPrev is not the h this engine returned for
    /// the previous chunk, or the input kind changed (call <see cref="ResetHistory"/> first). The history would
    /// exceed <see cref="MaxHistoryFloats"/> (Full), or f(t) reaches before the stored steps (an f that decreases).</exception>
    public float ForwardBackward(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev, Span<float> grad)
    {
        CheckCall(w, chunk, hPrev);
        if (grad.Length != _shape.Count)
            throw new ArgumentException($"grad has length {grad.Length}, expected {_shape.Count}.", nameof(grad));
        int T = chunk.T, bh = B * H;
        bool dense = chunk.InputTokens is null;
        if (F(Step) < Step - _s)
            throw new InvalidOperationException(
                $"{Scheme}: f({Step}) = {F(Step)} reaches before the {_s} stored steps; f(t) must not decrease.");
        if (_s > 0)
        {
            if (dense != _denseInputs)
                throw new InvalidOperationException("The chunk's input kind (tokens/dense) differs from the stored history's; call ResetHistory() first.");
            if (!hPrev.SequenceEqual(_hh.AsSpan(_s * bh, bh)))
                throw new InvalidOperationException(
                    $"{Scheme}: hPrev is not the h this engine returned for the previous chunk, so the stored history does not lead into it; " +
                    "call ResetHistory() when starting from another state.");
        }
        _denseInputs = dense;
        EnsureCapacity(_s + T, dense);

        // Stage the chunk after the stored steps: h entering it, its inputs.
        hPrev.CopyTo(_hh.AsSpan(_s * bh, bh));
        if (dense) chunk.InputVectors.AsSpan(0, T * B * V).CopyTo(_xVec.AsSpan(_s * B * V));
        else chunk.InputTokens.AsSpan(0, T * B).CopyTo(_xTok.AsSpan(_s * B));

        Span<float> hh = _hh.AsSpan(_s * bh, (T + 1) * bh);   // ((T+1)×B×H) chunk's slots
        Forward(w, InputTokens(_s, T), InputVectors(_s, T), T, hh);
        double loss = OutputsAndLoss(w, hh.Slice(bh), chunk, T, withGrad: true);
        Backward(w, T, grad);

        hh.Slice(T * bh, bh).CopyTo(hPrev);
        AdvanceHistory(T);
        return (float)(loss / (B * T));
    }

    /// <summary>Forward only (evaluation): returns the mean loss, advances hPrev; touches no history.</summary>
    public float ForwardLoss(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev)
        => (float)(ForwardLossSum(w, chunk, hPrev) / (B * chunk.T));

    /// <summary>Forward only: the SUM of the chunk's B·T losses in double; advances hPrev; touches no history.</summary>
    internal double ForwardLossSum(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev)
        => OutputsAndLoss(w, ForwardOnly(w, chunk, hPrev), chunk, chunk.T, withGrad: false);

    /// <summary>
    /// Forward only, for generation and scoring: writes the outputs y (T×B×O, row t·B+b) of the chunk's
    /// steps and advances hPrev; touches no history. The chunk's targets are not read.
    /// </summary>
    public void ForwardOutputs(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev, Span<float> y)
    {
        if (chunk is not null && y.Length < chunk.T * B * O)
            throw new ArgumentException($"y has length {y.Length}, need T·B·O = {chunk.T * B * O}.", nameof(y));
        Outputs(w, ForwardOnly(w, chunk!, hPrev), chunk!.T, y);
    }

    /// <summary>The chunk forward from hPrev in the evaluation buffer: returns its H_t (T·B×H), advances hPrev.</summary>
    private ReadOnlySpan<float> ForwardOnly(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev)
    {
        CheckCall(w, chunk, hPrev);
        int T = chunk.T, bh = B * H;
        Span<float> hh = _evalHH.AsSpan(0, (T + 1) * bh);      // ((T+1)×B×H)
        hPrev.CopyTo(hh);
        ReadOnlySpan<int> tokens = chunk.InputTokens is null ? default : chunk.InputTokens.AsSpan(0, T * B);
        ReadOnlySpan<float> xs = chunk.InputVectors is null ? default : chunk.InputVectors.AsSpan(0, T * B * V);
        Forward(w, tokens, xs, T, hh);
        hh.Slice(T * bh, bh).CopyTo(hPrev);
        return hh.Slice(bh, T * bh);
    }

    /// <summary>Starts a new sequence: step counter to 0, cross-chunk history forgotten.</summary>
    public void ResetHistory()
    {
        Step = 0;
        _s = 0;
    }

    private ReadOnlySpan<int> InputTokens(int s, int T) => _denseInputs ? default : _xTok.AsSpan(s * B, T * B);
    private ReadOnlySpan<float> InputVectors(int s, int T) => _denseInputs ? _xVec.AsSpan(s * B * V, T * B * V) : default;

    /// <summary>f(t) of the scheme, at a sequence step t.</summary>
    private long F(long t) => Scheme.EarliestStep(checked((int)t));

    /// <summary>After the chunk: keep the steps a later chunk's gradients may reach, from f(Step) on
    /// (Full: all; KStep: the last k; an aligned Subsequence chunk: none).</summary>
    private void AdvanceHistory(int T)
    {
        Step += T;
        int n = _s + T, bh = B * H;
        int keep = (int)(Step - F(Step));
        if (keep > 0 && keep < n)
        {
            // slide the last `keep` steps to the front (keep+1 h slots: the one entering them too)
            _hh.AsSpan((n - keep) * bh, (keep + 1) * bh).CopyTo(_hh);
            if (_denseInputs) _xVec.AsSpan((n - keep) * B * V, keep * B * V).CopyTo(_xVec);
            else _xTok.AsSpan((n - keep) * B, keep * B).CopyTo(_xTok);
        }
        _s = keep;
    }

    /// <summary>Makes the shared buffers hold <paramref name="steps"/> steps, keeping the stored ones.</summary>
    private void EnsureCapacity(int steps, bool dense)
    {
        if (dense && _xVec is null) _xVec = new float[_cap * B * V];
        if (steps <= _cap) return;
        long perStep = 2L * B * H + B + (dense ? (long)B * V : 0);   // h, δ, token, dense input
        long needed = (steps + 1L) * perStep;
        long capLimit = Math.Min(MaxHistoryFloats / perStep, Array.MaxLength / ((long)B * Math.Max(H, V))) - 1;
        if (needed > MaxHistoryFloats || steps > capLimit)
            throw new InvalidOperationException(
                $"{Scheme} history of {steps} steps × B={B} would hold {needed} floats, over MaxHistoryFloats={MaxHistoryFloats}; " +
                "call ResetHistory() more often (shorter sequences) or raise MaxHistoryFloats.");
        int cap = (int)Math.Max(steps, Math.Min(2L * _cap, capLimit));
        int bh = B * H;
        _hh = Grow(_hh, (cap + 1) * bh, (_s + 1) * bh);
        _dA = new float[cap * bh];
        _xTok = Grow(_xTok, cap * B, _s * B);
        if (_xVec is not null) _xVec = Grow(_xVec, cap * B * V, _s * B * V);
        _cap = cap;
    }

    private static T[] Grow<T>(T[] old, int length, int keep)
    {
        var a = new T[length];
        old.AsSpan(0, keep).CopyTo(a);
        return a;
    }

    private void CheckCall(ReadOnlySpan<float> w, Chunk chunk, ReadOnlySpan<float> hPrev)
    {
        if (w.Length != _shape.Count)
            throw new ArgumentException($"w has length {w.Length}, expected {_shape.Count}.", nameof(w));
        if (hPrev.Length != B * H)
            throw new ArgumentException($"hPrev has length {hPrev.Length}, expected B·H = {B * H}.", nameof(hPrev));
        ChunkChecks.Check(chunk, Spec, B, MaxT);
    }
}
