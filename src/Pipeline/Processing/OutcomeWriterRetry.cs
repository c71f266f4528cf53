using FraudStream.Storage;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// The storage threads' retry: a write runs on the thread's own <see cref="OutcomeWriter"/> until it succeeds;
/// after a failure the writer is dropped (a fresh connection next time) and the write retried with backoff,
/// 100 ms doubling to 5 s. The batch stays with the caller throughout, so nothing in it is lost or redone.
/// </summary>
internal static class OutcomeWriterRetry
{
    /// <param name="giveUp">Checked after a failure: true rethrows it instead of retrying.</param>
    /// <param name="onFailure">Told of each failure and the delay before the next try (in ms).</param>
    public static TResult Write<TState, TResult>(FraudStore store, ref OutcomeWriter? writer, TState state,
        Func<OutcomeWriter, TState, TResult> write, Action<Exception, int> onFailure, Func<bool>? giveUp = null)
    {
        var delayMs = 100;
        while (true)
        {
            try
            {
                writer ??= store.OpenOutcomeWriterAsync().GetAwaiter().GetResult();
                return write(writer, state);
            }
#pragma warning disable CA1031 // Any store failure is retried: the batch must not be lost and the thread must not die.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                writer?.Dispose();
                writer = null;
                if (giveUp?.Invoke() == true)
                {
                    throw;
                }

                onFailure(ex, delayMs);
                Thread.Sleep(delayMs);
                delayMs = Math.Min(delayMs * 2, 5_000);
            }
        }
    }
}
