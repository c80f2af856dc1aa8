package rules

// Rule is one entry of the ordered rule set: when an event On happens and the
// condition When holds, do Then; Stop ends evaluation after this rule when it
// matched.
type Rule struct {
	Name string `yaml:"name" json:"name"` // unique, non-empty; recorded with every change it makes
	On   string `yaml:"on" json:"on"`     // OnCreated, OnMessage or OnUpdated
	// When is an expr-lang/expr condition over Facts that must yield a bool;
	// "true" matches every event.
	When string `yaml:"when" json:"when"`
	Then Then   `yaml:"then" json:"then"`
	Stop bool   `yaml:"stop" json:"stop,omitempty"`
}

// Then is what a matching rule does. Every field is optional, but a rule has
// at least one action. Values for fields with an allowed list in Options are
// matched case-insensitively and stored in the list's spelling.
type Then struct {
	Category string `yaml:"category" json:"category,omitempty"`
	Impact   string `yaml:"impact" json:"impact,omitempty"`
	Urgency  string `yaml:"urgency" json:"urgency,omitempty"`
	// Priority overrides the priority; Evaluate never derives priority from
	// impact and urgency (that is the caller's job, with Matrix).
	Priority string `yaml:"priority" json:"priority,omitempty"`
	Team     string `yaml:"team" json:"team,omitempty"`
	Assignee string `yaml:"assignee" json:"assignee,omitempty"` // an agent address
	Status   string `yaml:"status" json:"status,omitempty"`
	Language string `yaml:"language" json:"language,omitempty"`
	// AddTags and RemoveTags change Ticket.Tags; a tag may not be in both.
	AddTags    []string `yaml:"add_tags" json:"add_tags,omitempty"`
	RemoveTags []string `yaml:"remove_tags" json:"remove_tags,omitempty"`
	// AddCc adds participants in Cc (bare addresses, stored lower-case).
	AddCc []string `yaml:"add_cc" json:"add_cc,omitempty"`
	// SuppressAcknowledgement stops the automatic acknowledgement to the requester.
	SuppressAcknowledgement bool `yaml:"suppress_acknowledgement" json:"suppress_acknowledgement,omitempty"`
	// Ignore marks the message as spam or to be ignored, with this reason. It
	// ends evaluation like Stop and may be combined only with AddTags and
	// RemoveTags.
	Ignore string `yaml:"ignore" json:"ignore,omitempty"`
	// Send sends the named template (an event name from Options.Templates).
	Send string `yaml:"send" json:"send,omitempty"`
	// SLA selects the named SLA policy, overriding the one chosen by priority,
	// category, team or customer.
	SLA string `yaml:"sla" json:"sla,omitempty"`
}

// Options lists the values actions may use. An empty list accepts any
// non-blank value.
type Options struct {
	Impacts     []string
	Urgencies   []string
	Priorities  []string
	Statuses    []string
	Teams       []string
	Categories  []string
	Templates   []string
	Languages   []string
	SLAPolicies []string
	// Assignees are the configured agents' addresses. Rules assign to listed
	// agents only; with an empty list any syntactically valid address is
	// accepted.
	Assignees []string
}
