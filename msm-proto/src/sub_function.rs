//! FC08's sub-function codes (their typed requests and responses are `diagnostics.rs`'s).

use core::fmt;

use super::code_enum::code_enum;

code_enum! {
    /// An FC08 (Diagnostics) sub-function code, named as in the spec.
    ///
    /// ```
    /// use msm_proto::DiagnosticsSubFunction;
    ///
    /// assert_eq!(DiagnosticsSubFunction::from_u16(0x0B), DiagnosticsSubFunction::BusMessageCount);
    /// assert_eq!(DiagnosticsSubFunction::ForceListenOnlyMode.value(), 4);
    /// assert_eq!(DiagnosticsSubFunction::from_u16(0x15), DiagnosticsSubFunction::Other(0x15));
    /// assert_eq!(
    ///     DiagnosticsSubFunction::ServerNakCount.to_string(),
    ///     "Return Server NAK Count (0x0010)"
    /// );
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum DiagnosticsSubFunction {
        /// Any other code, carried as is.
        Other(u16),
        /// 0x00: the data is echoed back.
        ReturnQueryData = 0x0000, "Return Query Data";
        /// 0x01: restart the port, clear the counters, leave listen-only mode (data
        /// 0xFF00 also clears the comm event log).
        RestartCommunications = 0x0001, "Restart Communications Option";
        /// 0x02: the 16-bit diagnostic register.
        ReturnDiagnosticRegister = 0x0002, "Return Diagnostic Register";
        /// 0x03: the character that ends an ASCII message (LF by default).
        ChangeAsciiInputDelimiter = 0x0003, "Change ASCII Input Delimiter";
        /// 0x04: no answers until a restart (0x01); not answered itself.
        ForceListenOnlyMode = 0x0004, "Force Listen Only Mode";
        /// 0x0A: every counter and the diagnostic register back to 0.
        ClearCounters = 0x000A, "Clear Counters and Diagnostic Register";
        /// 0x0B: messages seen on the bus.
        BusMessageCount = 0x000B, "Return Bus Message Count";
        /// 0x0C: CRC/LRC and framing errors.
        BusCommunicationErrorCount = 0x000C, "Return Bus Communication Error Count";
        /// 0x0D: exception responses sent.
        BusExceptionErrorCount = 0x000D, "Return Bus Exception Error Count";
        /// 0x0E: messages addressed to this server (or broadcast) it processed.
        ServerMessageCount = 0x000E, "Return Server Message Count";
        /// 0x0F: messages addressed to this server it did not answer.
        ServerNoResponseCount = 0x000F, "Return Server No Response Count";
        /// 0x10: NAK exception responses (07) sent.
        ServerNakCount = 0x0010, "Return Server NAK Count";
        /// 0x11: server busy exception responses (06) sent.
        ServerBusyCount = 0x0011, "Return Server Busy Count";
        /// 0x12: messages lost to a character overrun.
        BusCharacterOverrunCount = 0x0012, "Return Bus Character Overrun Count";
        /// 0x14: the overrun counter and flag back to 0.
        ClearOverrunCounter = 0x0014, "Clear Overrun Counter and Flag";
    }
    /// The variant for a wire code; codes the spec does not define become `Other`.
    ///
    /// ```
    /// # use msm_proto::DiagnosticsSubFunction;
    /// assert_eq!(DiagnosticsSubFunction::from_u16(1), DiagnosticsSubFunction::RestartCommunications);
    /// ```
    fn from_u16;
    /// The wire code.
    ///
    /// ```
    /// # use msm_proto::DiagnosticsSubFunction;
    /// assert_eq!(DiagnosticsSubFunction::ClearOverrunCounter.value(), 0x14);
    /// ```
    fn value;
}

impl fmt::Display for DiagnosticsSubFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#06x})", self.value()),
            None => write!(f, "diagnostics sub-function {:#06x}", self.value()),
        }
    }
}
