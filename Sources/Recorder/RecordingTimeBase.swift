/// Where a participant recording's time zero lies, on the sender's clock and on the receiver's:
/// what a room manifest needs to place several participants' files on one time line.
///
/// Each participant's sender reports map its media to *its own* wallclock (RFC 3550 6.4.1);
/// two senders' clocks need not agree. The receiver's arrival clock is common to every
/// participant, so files are lined up on it: the sender time of file zero shifted by the
/// sender-to-receiver offset the latest sender report showed (one-way delay included).
public struct RecordingTimeBase: Sendable, Equatable {
    /// File time zero on the sender's wallclock (Unix nanoseconds from its SR NTP time); nil
    /// when no sender report had arrived, so there is no sender clock to speak of.
    public var senderWallclock: Int64?
    /// File time zero on the receiver's clock: the clock the `arrival` arguments are given in.
    public var arrivalClock: Int64
    /// `.senderReport` when every track was mapped by its sender reports at the start;
    /// `.arrival` when one was placed by arrival time (no report in time).
    public var synchronisedBy: RTPClockMapping.Source

    public init(senderWallclock: Int64?, arrivalClock: Int64, synchronisedBy: RTPClockMapping.Source) {
        self.senderWallclock = senderWallclock
        self.arrivalClock = arrivalClock
        self.synchronisedBy = synchronisedBy
    }

    /// From the recording's epoch, which is on the sender's clock when an SR gave an offset
    /// (`senderOffset`, receiver minus sender) and on the arrival clock otherwise.
    init(epoch: Int64, senderOffset: Int64?, synchronisedBy: RTPClockMapping.Source) {
        self.init(senderWallclock: senderOffset == nil ? nil : epoch, arrivalClock: epoch + (senderOffset ?? 0),
                  synchronisedBy: synchronisedBy)
    }
}
