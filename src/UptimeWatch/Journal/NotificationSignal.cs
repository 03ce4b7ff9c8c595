using System.Text.Json;
using System.Text.Json.Serialization;

using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>Wakes the dispatcher when new notifications have been committed, so they go out at once rather than at its next look.</summary>
/// <remarks>
/// Not sealed: tests replace it with one that fails, to prove that a failure after the writer's commit never stores
/// a batch twice.
/// </remarks>
internal class NotificationSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public virtual void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    /// <summary>
    /// Waits for a signal. No timeout of its own: the dispatcher races it against a delay on its injected clock.
    /// </summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);
}

/// <summary>How a <see cref="Notification"/> is stored in the outbox: camelCase JSON, the same for every reader.</summary>
internal static class NotificationJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize(Notification notification) => JsonSerializer.Serialize(notification, Options);

    public static Notification Deserialize(long id, string payload) =>
        (JsonSerializer.Deserialize<Notification>(payload, Options) ?? throw new JsonException("An empty notification")) with { Id = id };
}
