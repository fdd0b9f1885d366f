//! Dialpad call states, with an escape hatch for values Dialpad adds later, and the phase
//! each one belongs to: the call state machine only moves forward through phases.

use std::fmt;

/// Where in its life a call is. A call's state never moves to an earlier phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// A state we do not know: it never changes a call's state.
    Unknown,
    /// Being set up: calling, ringing, preanswer, queued.
    Setup,
    /// In progress: connected, hold, transfers, supervision, recording.
    Live,
    /// Over: hangup, missed, voicemail, blocked.
    Ended,
    /// After the end: uploaded voicemail, transcripts, surveys, AI recaps.
    PostCall,
}

macro_rules! call_states {
    ($($variant:ident => $text:literal, $phase:ident;)*) => {
        /// A call event's `state`. Unknown values are kept verbatim.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum CallState {
            $($variant,)*
            Other(String),
        }

        impl CallState {
            pub fn parse(raw: &str) -> Self {
                match raw {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }

            pub fn phase(&self) -> Phase {
                match self {
                    $(Self::$variant => Phase::$phase,)*
                    Self::Other(_) => Phase::Unknown,
                }
            }
        }
    };
}

call_states! {
    Calling => "calling", Setup;
    Ringing => "ringing", Setup;
    Preanswer => "preanswer", Setup;
    Queued => "queued", Setup;
    Connected => "connected", Live;
    Hold => "hold", Live;
    Merged => "merged", Live;
    Parked => "parked", Live;
    Takeover => "takeover", Live;
    Eavesdrop => "eavesdrop", Live;
    Monitor => "monitor", Live;
    Barge => "barge", Live;
    Recording => "recording", Live;
    AdminRecording => "admin_recording", Live;
    Admin => "admin", Live;
    Hangup => "hangup", Ended;
    Missed => "missed", Ended;
    Voicemail => "voicemail", Ended;
    Blocked => "blocked", Ended;
    VoicemailUploaded => "voicemail_uploaded", PostCall;
    Postcall => "postcall", PostCall;
    Csat => "csat", PostCall;
    Pcsat => "pcsat", PostCall;
    Dispositions => "dispositions", PostCall;
    Transcription => "transcription", PostCall;
    CallTranscription => "call_transcription", PostCall;
    RecapSummary => "recap_summary", PostCall;
    RecapActionItems => "recap_action_items", PostCall;
    RecapOutcome => "recap_outcome", PostCall;
    RecapPurposes => "recap_purposes", PostCall;
    AiPlaybook => "ai_playbook", PostCall;
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call's direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
    Other(String),
}

impl Direction {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "inbound" => Self::Inbound,
            "outbound" => Self::Outbound,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Other(other) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_ones_are_kept() {
        for raw in ["ringing", "connected", "hangup", "voicemail_uploaded", "recap_summary", "admin_recording"] {
            assert_eq!(CallState::parse(raw).as_str(), raw);
            assert_ne!(CallState::parse(raw).phase(), Phase::Unknown, "{raw}");
        }
        let future = CallState::parse("teleported");
        assert_eq!((future.as_str(), future.phase()), ("teleported", Phase::Unknown));
        assert!(Phase::Setup < Phase::Live && Phase::Live < Phase::Ended && Phase::Ended < Phase::PostCall);
    }
}
