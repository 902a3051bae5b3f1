"""门诊慢特病申报: received at a township health centre inside a window, approved by the county branch."""
