"""档案: the documents received for a front-office matter (issue 19), kept with the matter."""
