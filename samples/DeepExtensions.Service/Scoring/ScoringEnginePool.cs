using DeepExtensions.Service.Models;
using Microsoft.Extensions.ObjectPool;

namespace DeepExtensions.Service.Scoring;

/// <summary>
/// The engines of the served model (<see cref="ScoringEngine"/> is not thread-safe), pooled with
/// Microsoft.Extensions.ObjectPool as ML.NET's <c>PredictionEnginePool</c> pools its engines: a request takes
/// one, or gets a new one when all are busy; up to <see cref="ServiceOptions.PoolSize"/> are kept for reuse and
/// the others are disposed when returned.
/// </summary>
public sealed class ScoringEnginePool : IDisposable
{
    private readonly ObjectPool<ScoringEngine> _pool;

    public ScoringEnginePool(ServedModel model, int size)
    {
        if (size <= 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The pool size must be positive, got {size}.");
        Size = size;
        _pool = new DefaultObjectPoolProvider { MaximumRetained = size }.Create(new Policy(model));
    }

    /// <summary>How many engines are kept for reuse.</summary>
    public int Size { get; }

    /// <summary>Scores <paramref name="request"/> on an engine of the pool.</summary>
    public Prediction Predict(ScoringRequest request)
    {
        var engine = _pool.Get();
        try
        {
            return engine.Predict(request);
        }
        finally
        {
            _pool.Return(engine);
        }
    }

    public void Dispose() => (_pool as IDisposable)?.Dispose();

    private sealed class Policy(ServedModel model) : IPooledObjectPolicy<ScoringEngine>
    {
        public ScoringEngine Create() => new(model);

        public bool Return(ScoringEngine engine) => true;
    }
}
