package parse

import (
	"strings"
	"testing"
)

var detectTests = []struct {
	name, text, want string
}{
	// Realistic helpdesk messages, two per language and more for the
	// three Scandinavian languages, which share most function words.
	{"en login", "Hi, I can't log in to my account since this morning. I have tried to reset the password but the email with the link never arrives. Could you please look into it? Thanks, Anna", "en"},
	{"en printer", "The printer on the 3rd floor shows a paper jam again and nobody can print. We have already restarted it twice. Is there someone who can come and have a look today?", "en"},
	{"en thanks", "Thank you very much for your quick help, it works perfectly now!", "en"},
	{"sv login", "Hej! Jag kan inte logga in på mitt konto sedan i morse. Jag har försökt att återställa lösenordet men jag får inget mejl med länken. Kan ni hjälpa mig? Med vänliga hälsningar, Åsa", "sv"},
	{"sv printer", "Skrivaren på tredje våningen fungerar inte igen. Vi har redan startat om den två gånger och det hjälper inte. Kan någon komma hit och titta på den idag?", "sv"},
	{"sv new employee", "Hej. Vår nya medarbetare börjar på måndag och hon behöver få ett konto i systemet. Hinner ni det innan fredag? Hon behöver också tillgång till den gemensamma mappen. Mvh Lars", "sv"},
	{"sv laptop", "Jag beställde en ny bärbar dator för tre veckor sedan, men den har fortfarande inte kommit. När kan jag räkna med att få den? Det är lite bråttom eftersom den gamla inte startar längre.", "sv"},
	{"sv outlook", "Tack för svaret. Det fungerar tyvärr fortfarande inte. När jag öppnar Outlook får jag ett felmeddelande om att anslutningen till servern har brutits. Ska jag skicka en skärmdump?", "sv"},
	{"sv licence", "Hej, jag ser att licensen för Office har gått ut. Kan ni förnya den så snart som möjligt? Det är många på avdelningen som inte kan öppna sina dokument.", "sv"},
	{"sv screen", "Hej, min skärm har blivit svart och vill inte starta igen. Vad ska jag göra?", "sv"},
	{"da login", "Hej, jeg kan ikke logge ind på min konto siden i morges. Jeg har prøvet at nulstille adgangskoden, men jeg får ingen mail med linket. Kan I hjælpe mig? Venlig hilsen Søren", "da"},
	{"da printer", "Printeren på tredje sal virker ikke igen. Vi har allerede genstartet den to gange, og det hjælper ikke. Er der nogen, der kan komme og kigge på den i dag?", "da"},
	{"da new employee", "Hej. Vores nye medarbejder starter på mandag, og hun skal have oprettet en bruger i systemet. Kan I nå det inden fredag? Hun skal også have adgang til fællesdrevet. Mvh Lars", "da"},
	{"da laptop", "Jeg har bestilt en ny bærbar for tre uger siden, men den er stadig ikke kommet. Hvornår kan jeg forvente at få den? Det er lidt akut, da min gamle ikke kan starte længere.", "da"},
	{"da outlook", "Tak for svaret. Det virker desværre stadig ikke. Når jeg åbner Outlook, kommer der en fejl om, at forbindelsen til serveren er afbrudt. Skal jeg sende et skærmbillede?", "da"},
	{"da licence", "Hej, jeg kan se at licensen til Office er udløbet. Kan I forny den så hurtigt som muligt? Der er mange i afdelingen, som ikke kan åbne deres dokumenter.", "da"},
	{"da password expiry", "Jeg fik besked om, at min adgangskode udløber om tre dage, men når jeg prøver at ændre den, får jeg bare en fejlmeddelelse. Hvad gør jeg forkert?", "da"},
	{"da screen", "Hej, min skærm er gået i sort og den vil ikke tænde igen. Hvad skal jeg gøre?", "da"},
	{"nb login", "Hei, jeg får ikke logget inn på kontoen min siden i morges. Jeg har prøvd å tilbakestille passordet, men jeg får ingen e-post med lenken. Kan dere hjelpe meg? Vennlig hilsen Kari", "nb"},
	{"nb printer", "Skriveren i tredje etasje virker ikke igjen. Vi har allerede startet den på nytt to ganger, og det hjelper ikke. Er det noen som kan komme og se på den i dag?", "nb"},
	{"nb new employee", "Hei. Vår nye medarbeider begynner på mandag, og hun må få opprettet en bruker i systemet. Rekker dere det før fredag? Hun trenger også tilgang til fellesområdet. Mvh Lars", "nb"},
	{"nb laptop", "Jeg bestilte en ny bærbar for tre uker siden, men den har fortsatt ikke kommet. Når kan jeg regne med å få den? Det haster litt, siden den gamle ikke vil starte lenger.", "nb"},
	{"nb outlook", "Takk for svaret. Det fungerer dessverre fortsatt ikke. Når jeg åpner Outlook, får jeg en feilmelding om at forbindelsen til serveren er brutt. Skal jeg sende et skjermbilde?", "nb"},
	{"nb phone", "God morgen! Telefonen min har sluttet å motta e-post etter oppdateringen i går kveld. Jeg har prøvd å starte den på nytt flere ganger uten at det hjalp.", "nb"},
	{"nb password expiry", "Jeg fikk beskjed om at passordet mitt utløper om tre dager, men når jeg prøver å endre det, får jeg bare en feilmelding. Hva gjør jeg feil?", "nb"},
	{"nb screen", "Hei, skjermen min har blitt svart og vil ikke slå seg på igjen. Hva skal jeg gjøre?", "nb"},
	{"de login", "Hallo, ich kann mich seit heute Morgen nicht mehr in mein Konto einloggen. Ich habe schon versucht, das Passwort zurückzusetzen, aber die E-Mail mit dem Link kommt nicht an. Können Sie mir bitte helfen? Viele Grüße, Hans", "de"},
	{"de printer", "Der Drucker im dritten Stock hat schon wieder einen Papierstau. Wir haben ihn bereits zweimal neu gestartet, aber es hilft nicht. Kann heute jemand vorbeikommen?", "de"},
	{"de invoice", "Ich habe eine Frage zur Rechnung vom letzten Monat. Der Betrag stimmt nicht, die gleiche Lizenz wurde zweimal berechnet. Können Sie das bitte prüfen?", "de"},
	{"nl login", "Hallo, ik kan sinds vanochtend niet meer inloggen op mijn account. Ik heb geprobeerd het wachtwoord opnieuw in te stellen, maar ik krijg geen e-mail met de link. Kunnen jullie mij helpen? Met vriendelijke groet, Pieter", "nl"},
	{"nl printer", "De printer op de derde verdieping werkt weer niet. We hebben hem al twee keer opnieuw opgestart, maar dat helpt niet. Kan er vandaag iemand komen kijken?", "nl"},
	{"nl invoice", "Ik heb een vraag over de factuur van vorige maand. Het bedrag klopt niet, er staat twee keer dezelfde licentie op. Kunt u dit controleren?", "nl"},
	{"fr login", "Bonjour, je n'arrive plus à me connecter à mon compte depuis ce matin. J'ai essayé de réinitialiser le mot de passe, mais je ne reçois pas l'e-mail avec le lien. Pouvez-vous m'aider ? Cordialement, Marie", "fr"},
	{"fr printer", "L'imprimante du troisième étage est encore bloquée. Nous l'avons déjà redémarrée deux fois, mais cela ne change rien. Est-ce que quelqu'un peut passer aujourd'hui ?", "fr"},
	{"es login", "Hola, no puedo iniciar sesión en mi cuenta desde esta mañana. He intentado restablecer la contraseña, pero no me llega el correo con el enlace. ¿Me pueden ayudar? Saludos, Carmen", "es"},
	{"es printer", "La impresora del tercer piso está otra vez atascada. Ya la hemos reiniciado dos veces, pero no funciona. ¿Puede venir alguien hoy a revisarla?", "es"},
	{"fi login", "Hei, en pääse kirjautumaan tililleni tänä aamuna. Yritin vaihtaa salasanan, mutta en saa sähköpostia, jossa on linkki. Voisitteko auttaa minua? Ystävällisin terveisin, Matti", "fi"},
	{"fi printer", "Tulostin kolmannessa kerroksessa ei toimi taas. Olemme jo käynnistäneet sen uudelleen kaksi kertaa, mutta se ei auta. Voiko joku tulla katsomaan sitä tänään?", "fi"},
	{"zh", "你好，我的账户从今天早上开始就无法登录了。我已经尝试重置密码，但是一直收不到邮件。请帮忙处理，谢谢！", "zh"},
	{"zh traditional", "您好，系統從昨天開始無法登入，請協助處理。謝謝！", "zh"},
	{"zh with English signature", "你好，打印机又卡纸了，麻烦派人来看一下，谢谢！\n\nBest regards,\nWang Wei\nIT Department", "zh"},
	{"ja", "お世話になっております。今朝からアカウントにログインできません。パスワードの再設定を試しましたが、メールが届きません。ご確認をお願いいたします。", "ja"},
	{"ko", "안녕하세요. 오늘 아침부터 계정에 로그인할 수 없습니다. 비밀번호를 재설정하려고 했지만 이메일이 오지 않습니다. 도와주시겠어요?", "ko"},

	// Short texts are never reliable.
	{"empty", "", ""},
	{"thanks", "Thanks!", ""},
	{"tack", "Tack, det fungerar nu.", ""},
	{"tak for hjælpen", "Tak for hjælpen", ""},
	{"danke", "Danke schön", ""},
	{"ok", "OK", ""},
	{"two han characters", "谢谢", ""},
	{"kana only a little", "はい", ""},

	// Mixed or unscored text stays undecided.
	{"english and swedish evenly", "Hi team, see below. Hej, jag kan inte logga in. Could you check it? Tack så mycket.", ""},
	{"english with swedish disclaimer", "Hi, my Outlook keeps asking for the password. Please help.\n\nMed vänliga hälsningar / Best regards\nAnna Svensson\nIT-avdelningen, Exempel AB\nDetta e-postmeddelande kan innehålla konfidentiell information och är endast avsett för mottagaren.", ""},
	{"norwegian with a danish-looking start", "Hei, jeg ser at lisensen for Office har gått ut. Kan dere fornye den så fort som mulig? Det er mange i avdelingen som ikke får åpnet dokumentene sine.", ""},
	{"portuguese", "Olá, não consigo acessar minha conta desde hoje de manhã. Já tentei redefinir a senha, mas não recebo o e-mail com o link. Vocês podem me ajudar? Obrigada, Ana", ""},
	{"italian", "Buongiorno, non riesco ad accedere al mio account da stamattina. Ho provato a reimpostare la password, ma non ricevo la mail con il link. Potete aiutarmi? Grazie, Giulia", ""},
	{"russian", "Здравствуйте! Почта так и не работает, помогите, пожалуйста. Я уже перезагрузил компьютер и проверил настройки, но письма не приходят.", ""},
	{"japanese and english evenly", "Please check the attached log file, the error started yesterday after the update. 昨日のアップデート以降、エラーが発生しています。", ""},
	{"log lines only", "2025-01-06 10:00:01 ERROR [main] com.example.Client - connection refused\n2025-01-06 10:00:02 WARN retry 1/5\n", ""},

	// Signatures, URLs, addresses and code do not confuse it.
	{"swedish with code and URLs", "Hej! När jag kör skriptet får jag ett fel: `if err != nil { return err }` se https://intranet.example.com/wiki/the-page-for-this och C:\\Users\\anna\\AppData. Kan ni titta på det? Tack, Anna", "sv"},
	{"english with norwegian name", "Hi, the VPN client on my laptop keeps disconnecting every ten minutes since the update yesterday. Could you please have a look? Best regards, Kari Nordmann, Bergen Kommune", "en"},
	{"german with english log", "Hallo, seit dem Update bekomme ich beim Start diese Fehlermeldung:\nERROR: connection refused (code 111)\nat com.example.Client.connect(Client.java:42)\nKönnen Sie mir bitte helfen? Danke", "de"},
	{"danish with signature", "Hej, jeg kan ikke logge ind på min konto siden i morges. Jeg har prøvet at nulstille adgangskoden, men jeg får ingen mail med linket. Kan I hjælpe mig?\n\nVenlig hilsen\nSøren Hansen | IT-afdelingen | Example A/S\nTlf. +45 12 34 56 78 | soren.hansen@example.dk | www.example.dk", "da"},
	{"quoted english below swedish", "Tack, nu fungerar det igen. Jag har startat om datorn och kan logga in som vanligt. Ni kan stänga ärendet.\n\n> Hi Anna, could you please restart your computer and try again? If the problem is still there, let us know.\n> Best regards, the support team", "sv"},
}

func TestDetectLanguage(t *testing.T) {
	t.Parallel()
	for _, tt := range detectTests {
		if got := DetectLanguage(tt.text); got != tt.want {
			t.Errorf("DetectLanguage(%s: %.60q) = %q, want %q", tt.name, tt.text, got, tt.want)
		}
	}
}

// TestDetectLanguageScandinavian checks that no Scandinavian message is
// taken for one of the other two, whatever the thresholds decide.
func TestDetectLanguageScandinavian(t *testing.T) {
	t.Parallel()
	for _, tt := range detectTests {
		switch tt.want {
		case "sv", "da", "nb":
			for _, text := range []string{tt.text, strings.ToUpper(tt.text), strings.ReplaceAll(tt.text, "\n", " ")} {
				if got := DetectLanguage(text); got != "" && got != tt.want {
					t.Errorf("DetectLanguage(%s: %.60q) = %q, want %q or \"\"", tt.name, text, got, tt.want)
				}
			}
		}
	}
}

// TestWordTable checks the function-word table against the profiles it
// is built from.
func TestWordTable(t *testing.T) {
	t.Parallel()
	used := 0
	for _, s := range functionWords.slots {
		if s.word != "" {
			used++
		}
	}
	if used*10 > len(functionWords.slots)*6 {
		t.Errorf("word table %d/%d full, want at most 60%% so that probes stay short", used, len(functionWords.slots))
	}
	for l, words := range profiles {
		for _, w := range strings.Fields(words) {
			if got := functionWords.get([]byte(w)); got&(1<<l) == 0 {
				t.Errorf("functionWords.get(%q) = %b, want bit %d (%s)", w, got, l, langTags[l])
			}
		}
	}
	for _, w := range []string{"", "printer", "x", "ärendena"} {
		if got := functionWords.get([]byte(w)); got != 0 {
			t.Errorf("functionWords.get(%q) = %b, want 0", w, got)
		}
	}
}

// allowedLanguages are the tags DetectLanguage may return.
var allowedLanguages = map[string]bool{"": true, "en": true, "sv": true, "da": true, "nb": true, "de": true,
	"nl": true, "fr": true, "es": true, "fi": true, "zh": true, "ja": true, "ko": true}

func FuzzDetectLanguage(f *testing.F) {
	for _, tt := range detectTests {
		f.Add(tt.text)
	}
	f.Add("l'\u2019d'\x00\xff\xfe'a")
	f.Fuzz(func(t *testing.T, text string) {
		if got := DetectLanguage(text); !allowedLanguages[got] {
			t.Errorf("DetectLanguage(%q) = %q, want one of the supported tags or \"\"", text, got)
		}
	})
}

// BenchmarkDetectLanguage runs the detector on a 1 KB message, as it
// runs on every inbound message.
func BenchmarkDetectLanguage(b *testing.B) {
	text := benchmarkMessage()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if DetectLanguage(text) != "da" {
			b.Fatal("DetectLanguage(benchmark message) != da")
		}
	}
}

// benchmarkMessage is a Danish helpdesk message with a signature and a
// link, cut to 1024 bytes.
func benchmarkMessage() string {
	text := "Hej,\n\nJeg kan ikke logge ind på min konto siden i morges. Jeg har prøvet at nulstille adgangskoden " +
		"via https://selfservice.example.dk/reset, men jeg får ingen mail med linket. Kan I hjælpe mig?\n\n" +
		"Printeren på tredje sal virker heller ikke igen. Vi har allerede genstartet den to gange, og det " +
		"hjælper ikke. Er der nogen, der kan komme og kigge på den i dag? Den viser fejlkode E-042.\n\n" +
		"Derudover har vores nye medarbejder brug for adgang til fællesdrevet og til økonomisystemet fra " +
		"mandag. Hendes leder har godkendt det. Hvornår kan I nå det?\n\n" +
		"Tak for svaret i går. Det virker desværre stadig ikke. Når jeg åbner Outlook, kommer der en fejl " +
		"om, at forbindelsen til serveren er afbrudt. Skal jeg sende et skærmbillede?\n\n" +
		"Venlig hilsen\nSøren Hansen | IT-afdelingen | Example A/S\nTlf. +45 12 34 56 78 | soren.hansen@example.dk\n" +
		strings.Repeat("Kan I også se på min skærm? ", 20)
	for len(text) > 1024 {
		text = text[:len(text)-1]
	}
	return strings.ToValidUTF8(text, "")
}
