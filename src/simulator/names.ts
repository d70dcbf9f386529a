/**
 * Name material for generated users and teams. Each person name carries an ASCII form
 * because usernames are ASCII even when the person's name is not (李 → li, Łukasz → lukasz).
 */
export interface PersonName {
  display: string;
  ascii: string;
}

const pairs = (list: string): PersonName[] =>
  list.split(',').map((entry) => {
    const [display = '', ascii] = entry.trim().split('=');
    return { display, ascii: ascii ?? display.toLowerCase() };
  });

export const FIRST_NAMES: readonly PersonName[] = pairs(
  'Jane,John,Mark,Maria,Aisha,Ahmed,Priya,Rahul,Wei,Mei,Hiroshi,Yuki,Olga,Ivan,Fatima,Omar,Emma,Liam,' +
    'Noah,Olivia,Sofia,Lucas,Amara,Kwame,Chloe,Ethan,Grace,Daniel,Hannah,Samuel,Leah,Diego,Carmen,Pedro,' +
    'Ana,Nina,Tom,Alex,Sam,Chris,Kim,Lee,Robin,Taylor,Jordan,Morgan,Elena,Marco,Giulia,Lars,Ingrid,' +
    'José=jose,Zoë=zoe,Łukasz=lukasz,Søren=soren,Ólafur=olafur,François=francois,Björn=bjorn,' +
    'Mårten=marten,Chloé=chloe,Renée=renee,Jürgen=jurgen,Małgorzata=malgorzata,Çağla=cagla,' +
    'Noémie=noemie,Øystein=oystein,Siân=sian,Dóra=dora,İlker=ilker,Ngọc=ngoc,伟=wei,芳=fang,' +
    'Ярослав=yaroslav,Дмитрий=dmitry,Αλέξανδρος=alexandros,さくら=sakura,민준=minjun',
);

export const LAST_NAMES: readonly PersonName[] = pairs(
  'Doe,Smith,Johnson,Brown,Garcia,Miller,Davis,Wilson,Anderson,Thomas,Moore,Martin,Jackson,White,' +
    'Harris,Clark,Lewis,Walker,Young,Allen,King,Wright,Scott,Green,Baker,Adams,Nelson,Hill,Campbell,' +
    'Mitchell,Roberts,Carter,Phillips,Evans,Turner,Patel,Shah,Khan,Singh,Nguyen,Tanaka,Sato,Kowalski,' +
    "Ivanova,Okafor,Mensah,Rossi,Bianchi,Larsen,Berg,O'Brien=obrien,McAllister,Van der Berg=vanderberg," +
    'Núñez=nunez,Müller=muller,Øvergaard=overgaard,Łukaszewicz=lukaszewicz,Sørensen=sorensen,' +
    'Gonçalves=goncalves,Jónsdóttir=jonsdottir,Dvořák=dvorak,Håkansson=hakansson,Yılmaz=yilmaz,' +
    'Şahin=sahin,Nowak,Ødegård=odegard,李=li,王=wang,张=zhang,Иванов=ivanov,Παπαδόπουλος=papadopoulos,' +
    '佐藤=sato,김=kim,Trần=tran,Ferreira-Lopes=ferreiralopes',
);

export const TEAM_AREAS: readonly string[] = (
  'Payments,Platform,Checkout,Search,Identity,Billing,Data,Mobile,Web,Infra,Network,Storage,Messaging,' +
  'Observability,Security,Fraud,Growth,Logistics,Inventory,Pricing,Notifications,Auth,Edge,Database,' +
  'Kubernetes,Compute,Analytics,Ledger,Onboarding,Support Tools,Catalog,Recommendations,Ads,Streaming,' +
  'Maps,Partner API,Internal Tools,Release,Build,Core Services'
).split(',');

export const TEAM_KINDS: readonly string[] = (
  'On-Call,SRE,Backend,Frontend,Infrastructure,Operations,Engineering,Escalations,Reliability,' +
  'Incident Response,Primary,Secondary,Night Shift'
).split(',');
