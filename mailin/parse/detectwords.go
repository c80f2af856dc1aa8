package parse

import "strings"

// profiles are the most frequent function words of each scored language
// as they occur in e-mail: articles, pronouns, prepositions, conjunctions,
// auxiliaries, common adverbs, and the greetings and closings of mail. A
// word in several lists scores for each. French elided forms are listed
// with their apostrophe ("l'"); English contractions whole ("don't").
//
// Danish and Norwegian Bokmål share most function words, so their lists,
// and Swedish's, end with frequent helpdesk words that each spells its own
// way (fejl, feil, fel; adgangskode, passord, lösenord; bruger, bruker,
// användare), and words one of them uses far more than the others keep
// only that one ("der" and "at" are Danish here; Norwegian writes "det er"
// and "å").
var profiles = [numLangs]string{
	langEN: `the a an and or but if of to in on at for with from by about as into is are was were be been
		being am have has had do does did not no can could will would should shall may might must i you he she
		it we they me him her us them my your his its our their this that these those there here what which
		who when where why how all any some so than then too very just also still again please thanks thank
		hi hello regards dear since because after before don't can't i'm it's doesn't didn't isn't won't i've
		i'll we're you're that's let's there's cannot get got need only now yet other same each every`,

	langSV: `och att det som en ett är var jag du han hon vi ni de dem den inte på i för med har hade till av
		om men så kan kunde ska skall skulle vill ville måste får fick fått varit blir bli blev mig dig sig oss
		min mitt mina din ditt dina vår vårt våra hans hennes deras vad hur när där här vilken vilket vilka
		varför också bara eller efter utan från över under mot sedan redan fortfarande igen nu då ju väl inga
		ingen inget någon något några alla allt mycket lite hej tack hälsningar hälsning vänliga vänlig mvh
		hjälp hjälpa undrar kanske även eftersom detta denna dessa ingenting göra gör gjorde behöver finns
		fungerar ut upp ja nej fel felet lösenord lösenordet användare användaren användarnamn använda
		åtkomst arbete uppdatering uppdateringen fråga frågan meddelande vecka dagar längre mer precis öppna
		öppnar försökt försökte återställa ärende ärendet hjälpen dator datorn skärm skärmen snabbt gånger
		gärna mejl mejlet logga inloggning skrivaren`,

	langDA: `og at det som en et er var jeg du han hun vi i de dem den ikke på for med har havde til af om men
		så kan kunne skal skulle vil ville må får fik fået været bliver blive blev mig dig sig os jer min mit
		mine din dit dine vores jeres hans hendes deres hvad hvordan hvornår hvor hvorfor hvilken hvilket hvis
		der her også kun bare eller efter uden fra over under mod siden allerede stadig igen nu da jo vel
		ingen intet nogen noget nogle alle alt meget lidt hej tak hilsen venlig venlige mvh hjælp hjælpe
		måske endnu fordi denne dette disse gøre gør gjorde behøver brug tilbage sådan desværre venligst kære
		modtaget modtog ind ud op fungerer findes sendt ja nej fejl fejlen adgangskode adgangskoden kodeord
		bruger brugeren brugernavn bruge adgang arbejde opdatering opdateringen spørgsmål besked uge dage
		længere mere lige åbne åbner prøvet nulstille kigge sag sagen hjælpen computeren skærm skærmen
		hurtigt gerne nok`,

	langNB: `og å det som en et ei er var jeg du han hun vi dere i de dem den ikke på for med har hadde til
		av om men så kan kunne skal skulle vil ville må får fikk fått vært blir bli ble meg deg seg oss min
		mitt mine din ditt dine vår vårt våre deres hans hennes hva hvordan når hvor hvorfor hvilken hvilket
		hvis her også kun bare eller etter uten fra over under mot siden allerede fortsatt fremdeles
		igjen nå da jo vel ingen inget noe noen alle alt mye litt veldig hei takk hilsen vennlig vennlige mvh
		hjelp hjelpe kanskje ennå fordi denne dette disse gjøre gjør gjorde trenger tilbake sånn dessverre
		vennligst kjære mottatt mottok inn ut opp fungerer finnes sendt ja nei feil feilen passord passordet
		bruker brukeren brukernavn bruke tilgang arbeid oppdatering oppdateringen spørsmål beskjed uke dager
		lenger mer akkurat åpne åpner prøvd tilbakestille sak saken hjelpen datamaskin datamaskinen skjerm
		skjermen raskt gjerne ganger etasje nytt`,

	langDE: `der die das den dem des ein eine einen einem einer eines und oder aber nicht kein keine keinen
		ist sind war waren bin bist sein hat habe haben hatte hatten wird werden wurde kann können konnte
		muss müssen soll sollte möchte würde ich du er sie es wir ihr mich mir dich dir uns euch ihnen ihn
		mein meine meinen meinem dein unser unsere ihre mit von zu zum zur auf in im an am aus bei nach für
		über unter vor durch um als wie was wer wo wann warum dass daß wenn weil ob auch noch schon nur sehr
		bitte danke vielen dank hallo grüße gruß freundlichen mfg leider jetzt immer wieder seit heute gibt
		diese dieser dieses hier dort mal doch ja nein sich man denn gerne liebe lieber geehrte geehrter
		damit dann`,

	langNL: `de het een en of maar niet geen is zijn was waren ben bent heb hebt heeft hebben had wordt worden
		werd kan kunnen kon moet moeten zal zou wil wilt willen ik je jij u hij zij ze we wij jullie mij me
		mijn jouw uw ons onze hun haar met van voor op in aan uit bij naar over onder door om als hoe wat wie
		waar wanneer waarom dat dit deze die er hier daar ook nog al alleen heel erg graag alstublieft
		bedankt dank groet groeten vriendelijke mvg helaas nu altijd weer sinds vandaag zo dan toch wel even
		niets iets goed hallo beste geachte ja nee`,

	langFR: `le la les un une des du de et ou mais ne pas plus est sont était être suis es a ai as avons avez
		ont avoir fait peut peux pouvez pourriez dois doit veux voudrais je tu il elle on nous vous ils elles
		me moi te toi se lui leur mon ma mes ton ta tes son sa ses notre nos votre vos avec pour par dans
		sur sous chez sans entre vers en au aux que qui quoi quand comment pourquoi où ce cet cette ces ça
		cela aussi encore déjà toujours très bien merci bonjour cordialement salutations madame monsieur svp
		plaît depuis rien tout tous toute y si comme donc c'est s'il aujourd'hui l' d' j' n' qu' m' s' c'`,

	langES: `el la los las un una unos unas y o pero no ni es son era fue ser estoy está están estar he ha han
		hemos hay tengo tiene tienen puedo puede pueden podría podrían quiero quisiera yo tú usted ustedes él
		ella nosotros ellos me mi mis te tu tus se le les lo nos su sus nuestro nuestra con para por en de
		del al a desde sobre sin entre hasta que qué quien cuando cómo como donde dónde porque este esta
		esto estos ese esa eso también todavía ya muy más gracias hola saludos atentamente favor hoy nada
		todo todos sí muchas buenos buenas días estimado estimada ayuda`,

	langFI: `ja on ei se että olen ole oli olisi ollut kun mutta tai jos niin myös minä mä sinä hän me te he
		tämä tämän tässä tästä siitä sen ovat olla voi voisitte voitteko kiitos kiitoksia terveisin
		ystävällisin hei moi mitä miten missä kuin vain vielä jo nyt en ettei voisitteko olemme voiko taas joku tänään minun minulle minua meidän
		teidän sitä ne nämä joka jotka mikä koska sitten kanssa ennen jälkeen pitää pitäisi täytyy saa saada
		emme eivät tulee eikä onko apua hyvä päivää`,

	langIT: `il lo la gli le di che e è non per un una sono ho ha con mi ti si ci del della dei al alla nel
		nella questo questa come ma anche grazie ciao buongiorno cordiali saluti ancora già più molto perché
		quando dove posso può vorrei essere stato sto io lei noi voi loro mio mia suo sua`,

	langPT: `o a os as um uma de do da dos das em no na nos nas e é que não para com por se eu você vocês ele
		ela nós meu minha seu sua mas também já ainda mais muito obrigado obrigada olá bom dia atenciosamente
		está estou são foi tenho tem posso pode consigo isso este esta`,
}

// functionWords holds each function word with the set of languages (bit
// l for langID l) whose profile lists it. It is built once and only read.
var functionWords = func() *wordTable {
	t := new(wordTable)
	for l, words := range profiles {
		for _, w := range strings.Fields(words) {
			t.add(w, 1<<l)
		}
	}
	return t
}()

// wordTable is a small open-addressing hash table of words and their
// language sets. Lookups are most of DetectLanguage's work, and this
// table does them in about half the time of a Go map.
type wordTable struct {
	slots [2048]wordSlot // about half full (TestWordTable), so probes are short
}

type wordSlot struct {
	word  string
	langs uint16
}

// wordHash is FNV-1a over the bytes of w.
func wordHash(w []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range w {
		h = (h ^ uint32(b)) * 16777619
	}
	return h
}

// add records that the language set langs lists w.
func (t *wordTable) add(w string, langs uint16) {
	mask := uint32(len(t.slots) - 1)
	for i := wordHash([]byte(w)) & mask; ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.word == "" || s.word == w {
			s.word, s.langs = w, s.langs|langs
			return
		}
	}
}

// get returns the languages that list w, or 0.
func (t *wordTable) get(w []byte) uint16 {
	if len(w) == 0 {
		return 0
	}
	mask := uint32(len(t.slots) - 1)
	for i := wordHash(w) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.word == "" {
			return 0
		}
		if s.word == string(w) {
			return s.langs
		}
	}
}
