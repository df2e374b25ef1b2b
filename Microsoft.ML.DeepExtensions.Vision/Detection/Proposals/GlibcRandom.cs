namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The generator behind GNU libc's <c>rand()</c>/<c>random()</c> (the default TYPE_3 state: an additive lagged
/// Fibonacci generator <c>r_i = r_{i−31} + r_{i−3}</c> mod 2^32 returning <c>r_i &gt;&gt; 1</c>, its 31 words seeded by
/// <c>16807·r mod (2^31 − 1)</c> and 310 outputs discarded). OpenCV ranks selective search regions with
/// <c>rand()</c>; with the same seed our ranking draws the same numbers, so a process that calls <c>srand(seed)</c>
/// (or a fresh process, seed 1) before OpenCV's <c>process()</c> gets our proposals in our order.
/// </summary>
internal sealed class GlibcRandom
{
    /// <summary><c>RAND_MAX</c>.</summary>
    public const int Max = int.MaxValue;

    private const int Degree = 31;
    private const int Separation = 3;
    private readonly int[] _state = new int[Degree];
    private int _front = Separation;
    private int _rear;

    /// <param name="seed"><c>srand</c>'s seed; 0 acts as 1, as in glibc.</param>
    public GlibcRandom(uint seed)
    {
        int word = seed == 0 ? 1 : (int)seed;
        _state[0] = word;
        for (int i = 1; i < Degree; i++)
        {
            // 16807·word mod (2^31 − 1) without overflow (Schrage's method, as glibc computes it).
            int hi = word / 127773, lo = word % 127773;
            word = 16807 * lo - 2836 * hi;
            if (word < 0)
                word += int.MaxValue;
            _state[i] = word;
        }
        for (int i = 0; i < Degree * 10; i++)
            Next();
    }

    /// <summary>The next value of <c>rand()</c>, 0 .. <see cref="Max"/>.</summary>
    public int Next()
    {
        unchecked
        {
            _state[_front] += _state[_rear];
        }
        int result = (int)((uint)_state[_front] >> 1);
        if (++_front >= Degree)
        {
            _front = 0;
            _rear++;
        }
        else if (++_rear >= Degree)
        {
            _rear = 0;
        }
        return result;
    }
}
